// Drift repair (issue 14): a child object edited by hand is put back to the plan with a
// DriftReverted Event; a child nobody touched is left alone, pass after pass (no reapply, no Event).
import {
  deployAndWait,
  isReady,
  ModelHosting,
  startModelHosting,
} from './backend';
import { eventsFor, eventually, kubectl, useNamespace } from './kube';

/** The DriftReverted Events on a ModelDeployment, by message. */
const driftEvents = (namespace: string, name: string): string[] =>
  eventsFor(namespace, name, 'DriftReverted').map(e => e.message);

const image = (namespace: string, name: string) =>
  kubectl(
    'get',
    'deployment',
    name,
    '-n',
    namespace,
    '-o',
    'jsonpath={.spec.template.spec.containers[0].image}',
  );

describe('drift repair', () => {
  const ns = useNamespace('drift');
  let mh: ModelHosting;

  // Every engine's plan: an HTTP predictor without engine args plans `args: []`, which the API
  // server stores as no args at all.
  const steady = [
    { name: 'steady', engine: 'vllm', model: 'org/model-a' },
    { name: 'plain', engine: 'http', model: 'model-b' },
  ];

  beforeAll(async () => {
    mh = await startModelHosting();
    for (const d of steady)
      await deployAndWait(
        mh,
        ns(),
        d.name,
        {
          owner: 'group:default/ml-platform',
          engine: d.engine,
          model: { name: d.model },
          resources: { cpu: '100m', memory: '128Mi' },
          replicas: 1,
        },
        isReady,
        90_000,
      );
  }, 180_000);
  afterAll(async () => mh?.stop());

  it('leaves children nobody changed alone across passes: no DriftReverted, no new Deployment generation', async () => {
    const generationOf = (name: string) =>
      kubectl(
        'get',
        'deployment',
        name,
        '-n',
        ns(),
        '-o',
        'jsonpath={.metadata.generation}',
      );
    const before = steady.map(d => generationOf(d.name));
    // Each label change on a ModelDeployment is a reconcile pass.
    for (let i = 0; i < 3; i++) {
      for (const d of steady)
        kubectl('label', 'md', d.name, '-n', ns(), `pass=${i}`, '--overwrite');
      await new Promise(r => setTimeout(r, 1000));
    }
    for (const d of steady) expect(driftEvents(ns(), d.name)).toEqual([]);
    expect(steady.map(d => generationOf(d.name))).toEqual(before);
  });

  it('puts an image set by hand back to the plan and says so in an Event', async () => {
    const planned = image(ns(), 'steady');
    kubectl(
      'set',
      'image',
      `deployment/steady`,
      '-n',
      ns(),
      `*=registry.invalid/not-ours:1`,
    );
    await eventually(async () => {
      if (image(ns(), 'steady') !== planned)
        throw new Error(`image still ${image(ns(), 'steady')}`);
    }, 60_000);
    const events = await eventually(async () => {
      const found = driftEvents(ns(), 'steady');
      if (!found.length) throw new Error('no DriftReverted Event yet');
      return found;
    });
    expect(events).toEqual([
      'Deployment steady was changed outside model hosting (spec.template.spec.containers[0].image); reverted to the plan',
    ]);
  });
});
