import type { V1EnvVar, V1Probe } from '@kubernetes/client-node';
import type { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';
import type { ModelServerCall, ProbeResult } from './engines';

/** A health check that failed for a reason worth showing as it is. */
export class ProbeFailure extends Error {}

/** The API server's proxy refused the backend (RBAC): the model server was never asked. */
export class AccessDenied extends ProbeFailure {}

/** Turns a 401/403 of the API server's proxy into {@link AccessDenied}, a redirect into a failure. */
export function checkAccess(status: number, path: string) {
  if (status >= 300 && status < 400) {
    throw new ProbeFailure(
      `${path} answered a redirect (${status}); redirects are not followed`,
    );
  }
  if (status === 401 || status === 403) {
    throw new AccessDenied(
      `the backend may not reach the model server through the API server (HTTP ${status} on ${path}); check its RBAC for services/proxy and pods/proxy`,
    );
  }
}

function parse(method: string, path: string, text: string): any {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ProbeFailure(
      `${method} ${path} returned malformed JSON: ${(e as Error).message}`,
    );
  }
}

/** GET a JSON answer; a 4xx/5xx or malformed JSON is a {@link ProbeFailure} that names the path. */
export async function getJson(
  call: ModelServerCall,
  path: string,
): Promise<any> {
  const res = await call('GET', path);
  checkAccess(res.status, path);
  if (res.status >= 400)
    throw new ProbeFailure(`GET ${path} answered ${res.status}`);
  return parse('GET', path, res.text);
}

/** POST JSON and read a JSON answer, with its own timeout. */
export async function postJson(
  call: ModelServerCall,
  path: string,
  body: unknown,
  timeoutMs?: number,
): Promise<any> {
  const res = await call('POST', path, body, timeoutMs);
  checkAccess(res.status, path);
  if (res.status >= 400) {
    throw new ProbeFailure(
      `POST ${path} answered ${res.status}: ${res.text.slice(0, 200)}`,
    );
  }
  return parse('POST', path, res.text);
}

/** GET a path and expect any 2xx/3xx answer. */
export async function getOk(
  call: ModelServerCall,
  path: string,
): Promise<number> {
  const res = await call('GET', path);
  checkAccess(res.status, path);
  if (res.status >= 400)
    throw new ProbeFailure(`GET ${path} answered ${res.status}`);
  return res.status;
}

/** Runs an engine's checks and turns every failure into an unhealthy result with its reason. */
export async function runProbe(
  check: () => Promise<ProbeResult>,
): Promise<ProbeResult> {
  try {
    return await check();
  } catch (e) {
    return {
      healthy: false,
      message: (e as Error).message,
      pulled: [],
      recoverable: !(e instanceof AccessDenied),
    };
  }
}

/** An HTTP GET probe for the pod spec. */
export const httpGetProbe = (
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

/** The ConfigMap holding a deployment's engine configuration. */
export const configMapName = (md: ModelDeployment) =>
  `${md.metadata.name}-engine`;

/** Environment from the engine ConfigMap's keys, plus the user's own variables. */
export function configEnv(keys: string[], md: ModelDeployment): V1EnvVar[] {
  const name = configMapName(md);
  return [
    ...keys.map(key => ({
      name: key,
      valueFrom: { configMapKeyRef: { name, key } },
    })),
    ...((md.spec.env ?? []) as V1EnvVar[]),
  ];
}
