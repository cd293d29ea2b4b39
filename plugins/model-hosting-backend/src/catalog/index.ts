export { catalogModuleModelHosting as default } from './module';
