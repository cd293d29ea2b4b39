import { V1EnvVar, V1Probe } from '@kubernetes/client-node';
import {
  ModelDeployment,
  ModelEngine,
} from '@internal/backstage-plugin-model-hosting-common';

/** The model a pod serves, from the spec or, mid-switch, from the previous model. */
export type ServedModel = ModelDeployment['spec']['model'];

/** What an engine contributes to the pod: everything else is common to all engines. */
export interface EngineContainer {
  image: string;
  port: number;
  command?: string[];
  args: string[];
  env: V1EnvVar[];
  /** Long startup budget: weights can take many minutes to load. */
  startupProbe: V1Probe;
  readinessProbe: V1Probe;
  livenessProbe: V1Probe;
}

/** How an engine's API looks from outside, for health checks and the catalog. */
export type EngineApiKind = 'openai' | 'ollama' | 'http';

export interface EngineAdapter {
  engine: ModelEngine;
  apiKind: EngineApiKind;
  defaultImage: string;
  port: number;
  /** Engine configuration kept in the ConfigMap; the container reads it as environment. */
  config(md: ModelDeployment, model: ServedModel): Record<string, string>;
  container(md: ModelDeployment, model: ServedModel): EngineContainer;
}

export const httpGet = (
  path: string,
  port: number,
  periodSeconds: number,
  failureThreshold: number,
): V1Probe => ({
  httpGet: { path, port },
  periodSeconds,
  failureThreshold,
  timeoutSeconds: 5,
});

/** Environment from the ConfigMap plus the user's own variables. */
export function configEnv(
  keys: string[],
  configMapName: string,
  md: ModelDeployment,
): V1EnvVar[] {
  return [
    ...keys.map(key => ({
      name: key,
      valueFrom: { configMapKeyRef: { name: configMapName, key } },
    })),
    ...((md.spec.env ?? []) as V1EnvVar[]),
  ];
}

export const configMapName = (md: ModelDeployment) =>
  `${md.metadata.name}-engine`;
