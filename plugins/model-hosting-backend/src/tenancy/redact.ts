import { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';

/** A deployment as someone outside its team sees it: env values hidden, Secret refs by name only. */
export function redactForOthers(md: ModelDeployment): ModelDeployment {
  if (!md.spec.env?.length) return md;
  return {
    ...md,
    spec: {
      ...md.spec,
      env: md.spec.env.map(e =>
        e.value !== undefined ? { ...e, value: '(hidden)' } : e,
      ),
    },
  };
}
