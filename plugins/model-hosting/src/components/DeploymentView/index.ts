export { DeploymentView } from './DeploymentView';
export { StatusCard } from './StatusCard';
