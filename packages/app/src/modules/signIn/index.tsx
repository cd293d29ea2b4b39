import { ProxiedSignInPage, SignInPage } from '@backstage/core-components';
import {
  createFrontendModule,
  StandardSchemaV1,
} from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';

const PROVIDERS = ['guest', 'oauth2Proxy'] as const;
type Provider = (typeof PROVIDERS)[number];

/**
 * `provider` of the sign-in page's config: guest unless the config says otherwise. A Standard
 * Schema with its JSON Schema, written out (the app has no schema library of its own).
 */
const providerSchema = {
  '~standard': {
    version: 1,
    vendor: 'model-hosting',
    validate: (value: unknown) => {
      if (value === undefined) return { value: 'guest' };
      return PROVIDERS.includes(value as Provider)
        ? { value: value as Provider }
        : {
            issues: [
              { message: `provider must be one of ${PROVIDERS.join(', ')}` },
            ],
          };
    },
    jsonSchema: {
      input: () => ({ type: 'string', enum: [...PROVIDERS], default: 'guest' }),
      output: () => ({ type: 'string', enum: [...PROVIDERS] }),
    },
  },
} as StandardSchemaV1<unknown, Provider>;

/**
 * The sign-in page, chosen by config (`app.extensions: [{ sign-in-page:app: { config: { provider } } }]`):
 * `oauth2Proxy` in production, where oauth2-proxy in front of the portal has signed the person in
 * and the page only exchanges that session for a Backstage token (no buttons, no guest); `guest`
 * (the default) for local development.
 */
export const signInPage = SignInPageBlueprint.makeWithOverrides({
  configSchema: { provider: providerSchema },
  factory(originalFactory, { config }) {
    return originalFactory({
      loader: async () =>
        config.provider === 'oauth2Proxy'
          ? props => <ProxiedSignInPage {...props} provider="oauth2Proxy" />
          : props => <SignInPage {...props} providers={['guest']} />,
    });
  },
});

export const signInModule = createFrontendModule({
  pluginId: 'app',
  extensions: [signInPage],
});
