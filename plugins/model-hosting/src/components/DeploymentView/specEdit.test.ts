import { ModelDeploymentSpec } from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  changedFields,
  formatValue,
  prune,
  quantityOf,
  same,
  setIn,
} from './specEdit';

const spec: ModelDeploymentSpec = {
  owner: 'group:default/ml-platform',
  engine: 'vllm',
  model: { name: 'meta-llama/Llama-3.1-8B-Instruct' },
  replicas: 2,
  resources: { cpu: 4, memory: '16Gi', gpu: { count: 1 } },
  healthCheck: { intervalSeconds: 30, failureThreshold: 3 },
  engineArgs: ['--max-model-len=8192'],
  env: [
    {
      name: 'HF_TOKEN',
      valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } },
    },
  ],
  image: 'vllm/vllm-openai:v0.6.2',
};

describe('changedFields', () => {
  it('sends nothing when nothing changed, whatever the order of keys', () => {
    const reordered = JSON.parse(JSON.stringify(spec));
    reordered.resources = { gpu: { count: 1 }, memory: '16Gi', cpu: 4 };
    expect(changedFields(spec, reordered)).toEqual({
      fields: {},
      problems: [],
    });
  });

  it('sends a changed field whole, and never the owner', () => {
    const draft = setIn(spec, ['healthCheck', 'intervalSeconds'], 60);
    expect(
      changedFields(spec, { ...draft, owner: 'group:default/other' }),
    ).toEqual({
      fields: { healthCheck: { intervalSeconds: 60, failureThreshold: 3 } },
      problems: [],
    });
  });

  it('sends an emptied object or list empty, which is how the API removes it', () => {
    let draft = setIn(spec, ['healthCheck', 'intervalSeconds'], undefined);
    draft = setIn(draft, ['healthCheck', 'failureThreshold'], undefined);
    draft = setIn(draft, ['engineArgs'], undefined);
    expect(changedFields(spec, draft).fields).toEqual({
      healthCheck: {},
      engineArgs: [],
    });
  });

  it('says which fields an edit cannot remove, and refuses to send hidden env values', () => {
    const draft = {
      ...setIn(spec, ['image'], undefined),
      env: [{ name: 'A', value: '(hidden)' }],
    };
    expect(changedFields(spec, draft).problems).toEqual([
      'spec.image cannot be removed by an edit; give it a value instead',
      'Some env values are hidden from you ((hidden)); enter their values or leave env as it is',
    ]);
  });
});

describe('helpers', () => {
  it('prunes empty objects left by a form, keeps lists and falsy values', () => {
    expect(
      prune({ a: {}, b: { c: undefined }, d: [], e: 0, f: false, g: '' }),
    ).toEqual({ d: [], e: 0, f: false, g: '' });
    expect(prune({ a: { b: {} } })).toBeUndefined();
  });

  it('compares deeply', () => {
    expect(same({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(same({ a: [1] }, { a: [1, 2] })).toBe(false);
    expect(same({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });

  it('keeps a quantity as typed, as a number where the spec had one', () => {
    expect(quantityOf('500m', 4)).toBe('500m');
    expect(quantityOf('8', 4)).toBe(8);
    expect(quantityOf('8', '4')).toBe('8');
    expect(quantityOf(' ', 4)).toBeUndefined();
  });

  it('formats values of a change for people', () => {
    expect(formatValue(undefined)).toBe('(not set)');
    expect(formatValue('recreate')).toBe('recreate');
    expect(formatValue({ count: 1 })).toBe('{"count":1}');
  });
});
