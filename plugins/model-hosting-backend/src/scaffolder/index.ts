export { scaffolderModuleModelHosting as default } from './module';
