// The test cluster's pod network: the pod runner serves every model-server pod on its pod IP
// (a stand-in per engine, or real Ollama), and its control API lets tests make a server fail,
// hang or answer malformed JSON and see what each server received.
const { podNetwork } = require('@modelhosting/engine-stand-ins');

export type PodNetwork = NonNullable<ReturnType<typeof podNetwork>>;

/**
 * The pod network of the test cluster. Fails loudly when there is none: these tests exercise the
 * path every real installation uses (the API server's proxy to processes behind pod IPs), and
 * without one nothing answers there.
 */
export function requirePodNetwork(): PodNetwork {
  const net = podNetwork({ kubeconfig: process.env.MH_TEST_KUBECONFIG });
  if (!net) {
    throw new Error(
      'The test cluster has no pod network, so no model server answers behind its pods. ' +
        'scripts/cluster/cluster.sh creates one when it runs as root (ip netns, a veth pair); ' +
        'run the tests as root, and do not set MH_POD_NETWORK=off.',
    );
  }
  return net;
}

/** One pod of a deployment as the pod runner reports it; `server` is null for real engines. */
export interface ServedPod {
  pod: string;
  ip: string;
  port: number;
  kind: 'stand-in' | 'ollama' | null;
  ready: boolean;
  log?: string;
  server: {
    requests: number;
    byPath: Record<string, number>;
    received: Array<{
      method: string;
      path: string;
      body?: string;
      status?: number;
    }>;
    pulls: string[];
    models: string[];
    counters: Record<string, number>;
  } | null;
}

/** The pods the runner serves for a deployment. */
export async function servedPods(
  net: PodNetwork,
  namespace: string,
  name: string,
): Promise<ServedPod[]> {
  return (await net.deployment(namespace, name)).pods;
}

/** How often the deployment's servers were asked `METHOD /path`, summed over its pods. */
export async function requestsTo(
  net: PodNetwork,
  namespace: string,
  name: string,
  key: string,
): Promise<number> {
  return (await servedPods(net, namespace, name)).reduce(
    (n, p) => n + (p.server?.byPath?.[key] ?? 0),
    0,
  );
}

/** The bodies the deployment's servers received for `METHOD /path`, oldest first. */
export async function bodiesReceived(
  net: PodNetwork,
  namespace: string,
  name: string,
  method: string,
  path: string,
): Promise<string[]> {
  return (await net.received(namespace, name))
    .filter((r: any) => r.method === method && r.path === path)
    .map((r: any) => r.body ?? '');
}
