// For the local demo only: no containers run under kwok, so the example ModelDeployments get
// stand-in model servers on loopback that speak their engines' protocols (fakeEngine.js), follow
// model switches, and see a trickle of traffic so that the usage charts have something to show.
// Writes the matching modelHosting.health.endpoints config to the file given as argument.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import * as k8s from '@kubernetes/client-node';

const require = createRequire(import.meta.url);
const { createFakeEngine } = require('../packages/integration-tests/fakeEngine.js');
const [kubeconfigPath, configOut] = process.argv.slice(2);
const ns = 'ml-serving';

const engines = {
  'ollama-chat': await createFakeEngine({ models: ['llama3.1:8b'] }),
  'vllm-instruct': await createFakeEngine({ servedModel: 'meta-llama/Llama-3.1-8B-Instruct' }),
  'iris-classifier': await createFakeEngine({}),
};
fs.writeFileSync(configOut, JSON.stringify({
  modelHosting: { health: { endpoints: Object.entries(engines).map(([name, e]) => ({ cluster: 'local', namespace: ns, name, url: e.url })) } },
}, null, 2));

const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfigPath);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
setInterval(async () => {
  try {
    const list = await custom.listNamespacedCustomObject({ group: 'modelhosting.io', version: 'v1alpha1', plural: 'modeldeployments', namespace: ns });
    for (const md of list.items) {
      const engine = engines[md.metadata.name];
      if (!engine) continue;
      // Serve what the deployment asks for, as a real server would after a switch.
      engine.state.servedModel = md.status?.activeModel ?? md.spec.model.name;
      if (md.spec.engine === 'ollama') engine.state.models.add(md.spec.model.name);
    }
  } catch {
    // the cluster is restarting; try again next time
  }
  const c = engines['vllm-instruct'].state.counters;
  const n = Math.floor(Math.random() * 4);
  c.success += n;
  c.promptTokens += n * 180;
  c.generationTokens += n * 60;
  c.latencySum += n * (0.4 + Math.random());
  c.latencyCount += n;
}, 3000);
console.log(`stand-in model servers: ${Object.entries(engines).map(([n, e]) => `${n} ${e.url}`).join(', ')}`);
