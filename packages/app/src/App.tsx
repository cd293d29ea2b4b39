import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import modelHostingPlugin from '@modelhosting/backstage-plugin-model-hosting/alpha';
import { navModule } from './modules/nav';
import { signInModule } from './modules/signIn';

export default createApp({
  features: [catalogPlugin, modelHostingPlugin, navModule, signInModule],
});
