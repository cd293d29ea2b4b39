// What a kubelet works out from a pod spec before it starts a container: the environment
// (value, ConfigMap and Secret references, the downward API), the arguments with $(VAR) expanded,
// the container port and the probes.

export class ConfigError extends Error {}

/** Kubernetes' $(VAR) expansion: $$ escapes, unknown references stay as they are. */
export function expand(text, env) {
  return String(text).replace(
    /\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g,
    (m, name) => {
      if (m === '$$') return '$';
      return Object.prototype.hasOwnProperty.call(env, name) ? env[name] : m;
    },
  );
}

function fieldRef(pod, path) {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return pod.metadata[m[1]]?.[m[2]] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    default:
      return '';
  }
}

/**
 * The container's environment as the kubelet builds it. `get(kind, name)` fetches a ConfigMap or
 * Secret (undefined when it does not exist). A missing non-optional reference throws ConfigError
 * (the kubelet's CreateContainerConfigError).
 */
export async function resolveEnv(pod, container, get) {
  const env = {};
  const cache = new Map();
  const fetch = async (kind, name) => {
    const key = `${kind}/${name}`;
    if (!cache.has(key)) cache.set(key, await get(kind, name));
    return cache.get(key);
  };
  const values = (kind, obj) => {
    if (!obj) return undefined;
    if (kind === 'secrets') {
      const out = {};
      for (const [k, v] of Object.entries(obj.data || {}))
        out[k] = Buffer.from(v, 'base64').toString('utf8');
      return { ...out, ...(obj.stringData || {}) };
    }
    return { ...(obj.data || {}) };
  };
  for (const from of container.envFrom || []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? 'configmaps' : 'secrets';
    const data = values(kind, await fetch(kind, ref.name));
    if (!data) {
      if (ref.optional) continue;
      throw new ConfigError(
        `${kind === 'configmaps' ? 'configmap' : 'secret'} "${
          ref.name
        }" not found`,
      );
    }
    for (const [k, v] of Object.entries(data))
      env[`${from.prefix || ''}${k}`] = v;
  }
  for (const e of container.env || []) {
    if (e.valueFrom) {
      const vf = e.valueFrom;
      const ref = vf.configMapKeyRef ?? vf.secretKeyRef;
      if (ref) {
        const kind = vf.configMapKeyRef ? 'configmaps' : 'secrets';
        const data = values(kind, await fetch(kind, ref.name));
        if (!data || !(ref.key in data)) {
          if (ref.optional) continue;
          throw new ConfigError(
            data
              ? `couldn't find key ${ref.key} in ${
                  kind === 'configmaps' ? 'ConfigMap' : 'Secret'
                } ${pod.metadata.namespace}/${ref.name}`
              : `${kind === 'configmaps' ? 'configmap' : 'secret'} "${
                  ref.name
                }" not found`,
          );
        }
        env[e.name] = data[ref.key];
      } else if (vf.fieldRef) {
        env[e.name] = fieldRef(pod, vf.fieldRef.fieldPath);
      } else {
        env[e.name] = '';
      }
    } else {
      env[e.name] = expand(e.value ?? '', env);
    }
  }
  return env;
}

/** The container that serves: the first one with a container port. */
export function servingContainer(pod) {
  const containers = pod.spec?.containers || [];
  return (
    containers.find(c => c.ports?.some(p => p.containerPort)) ?? containers[0]
  );
}

/** A probe's port: a number or the name of a container port. */
function probePort(container, port) {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(String(port))) return Number(port);
  return container.ports?.find(p => p.name === port)?.containerPort;
}

/** The HTTP probes of a container, with the kubelet's defaults filled in. */
export function probes(container) {
  const out = {};
  for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    const p = container[kind];
    if (!p?.httpGet) continue; // exec and tcpSocket probes: nothing to run here, treated as passing
    out[kind.replace('Probe', '')] = {
      path: p.httpGet.path || '/',
      port: probePort(container, p.httpGet.port),
      periodSeconds: p.periodSeconds || 10,
      timeoutSeconds: p.timeoutSeconds || 1,
      failureThreshold: p.failureThreshold || 3,
      successThreshold: p.successThreshold || 1,
      initialDelaySeconds: p.initialDelaySeconds || 0,
    };
  }
  return out;
}
