export {
  ModelServerEntityContent,
  ModelServerStatusCard,
  isModelServer,
  deploymentRefOf,
} from './ModelServerEntityContent';
