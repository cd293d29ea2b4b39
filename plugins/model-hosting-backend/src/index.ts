export { modelHostingPlugin as default } from './plugin';
