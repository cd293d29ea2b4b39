import { createHash } from 'crypto';
import http from 'http';
import https from 'https';
import { KubeConfig } from '@kubernetes/client-node';

type AgentFactory = (
  cluster: { server?: string; proxyUrl?: string } | null,
  options: https.AgentOptions,
) => http.Agent;

const material = (v: unknown): string => {
  if (v === undefined) return '';
  if (Buffer.isBuffer(v)) return v.toString('base64');
  return Array.isArray(v) ? v.map(material).join('|') : String(v);
};

/**
 * Makes a KubeConfig's clients reuse connections to the API server. @kubernetes/client-node 1.x
 * builds a new https.Agent for every request (KubeConfig.createAgent), so every request opens a
 * TCP connection and does a TLS handshake: under a burst of writes (a thousand new deployments)
 * the handshakes cost more CPU, on both ends, than the requests. Here one keep-alive agent per
 * server and TLS material (a rotated client certificate gets a new one) serves every request;
 * credentials in headers (tokens) are still read per request. Proxied clusters keep the
 * library's agents.
 */
export function withKeepAlive(kubeConfig: KubeConfig): KubeConfig {
  const target = kubeConfig as unknown as { createAgent: AgentFactory };
  const original: AgentFactory = target.createAgent.bind(kubeConfig);
  const agents = new Map<string, http.Agent>();
  target.createAgent = (cluster, options) => {
    if (cluster?.proxyUrl) return original(cluster, options);
    const key = createHash('sha256')
      .update(
        [
          cluster?.server,
          material(options.ca),
          material(options.cert),
          material(options.key),
          material(options.pfx),
          String(options.rejectUnauthorized),
          options.servername ?? '',
        ].join('\n'),
      )
      .digest('hex');
    let agent = agents.get(key);
    if (!agent) {
      const created = original(cluster, options);
      // The library's choice (http only with skipTLSVerify, else https), with keep-alive.
      agent =
        created instanceof https.Agent
          ? new https.Agent({ ...options, keepAlive: true, scheduling: 'lifo' })
          : new http.Agent({ keepAlive: true, scheduling: 'lifo' });
      created.destroy();
      agents.set(key, agent);
    }
    return agent;
  };
  return kubeConfig;
}
