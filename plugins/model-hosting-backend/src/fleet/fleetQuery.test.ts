import { DeploymentSummary } from '@modelhosting/backstage-plugin-model-hosting-common';
import { fleetFacets, pageOf } from './fleetQuery';
import { parseFleetQuery } from './parseFleetQuery';

const row = (
  name: string,
  more: Partial<DeploymentSummary> = {},
): DeploymentSummary => ({
  cluster: 'east',
  namespace: 'ml',
  name,
  entityRef: `component:ml/${name}`,
  owner: 'group:default/ml',
  engine: 'vllm',
  model: `org/${name}`,
  phase: 'Ready',
  replicas: 1,
  readyReplicas: 1,
  gpu: { count: 0, resource: 'nvidia.com/gpu' },
  endpoint: `http://${name}.ml:8000`,
  ...more,
});

const fleet = [
  row('b-chat', {
    gpu: { count: 2, resource: 'nvidia.com/gpu', product: 'A100' },
  }),
  row('a-embed', {
    engine: 'ollama',
    cluster: 'west',
    owner: 'group:default/search',
  }),
  row('c-llama', { phase: undefined, readyReplicas: 0 }),
  row('d-switching', {
    model: 'org/new',
    activeModel: 'org/old',
    phase: 'Switching',
  }),
];
const names = (items: DeploymentSummary[]) => items.map(d => d.name);

describe('parseFleetQuery', () => {
  it('asks for every deployment without limit', () => {
    expect(parseFleetQuery({})).toBeUndefined();
  });

  it('reads a page, its sort and filters', () => {
    expect(
      parseFleetQuery({
        limit: '20',
        offset: '40',
        q: 'Llama',
        sort: 'gpus',
        order: 'desc',
        engine: 'vllm',
        facets: 'true',
      }),
    ).toEqual({
      facets: true,
      limit: 20,
      offset: 40,
      q: 'Llama',
      sort: 'gpus',
      order: 'desc',
      engine: 'vllm',
    });
  });

  it.each([
    [{ q: 'x' }, 'a paged query needs limit'],
    [{ limit: '501' }, 'limit must be a whole number from 0 to 500'],
    [{ limit: '-1' }, 'limit must be a whole number from 0 to 500'],
    [{ limit: '1e3' }, 'limit must be a whole number'],
    [{ limit: '10', offset: 'x' }, 'offset must be a whole number'],
    [{ limit: '10', sort: 'spec' }, 'sort must be one of name, cluster'],
    [{ limit: '10', order: 'up' }, 'order must be asc or desc'],
    [{ limit: '0', facets: 'yes' }, 'facets must be true or false'],
    [{ limit: '10', page: '2' }, 'unknown query parameters: page'],
    [{ limit: ['10', '20'] }, 'query parameter limit must be given once'],
    [
      { limit: '10', engine: { $ne: 'x' } },
      'query parameter engine must be given once',
    ],
    [{ limit: '10', q: 'x'.repeat(254) }, 'q is longer than 253 characters'],
  ])('refuses %j: %s', (query, message) => {
    expect(() => parseFleetQuery(query)).toThrow(
      expect.objectContaining({
        name: 'InputError',
        message: expect.stringContaining(message),
      }),
    );
  });
});

describe('pageOf', () => {
  it('orders by cluster, namespace and name and slices the page, with the total', () => {
    const page = pageOf(fleet, { limit: 2, offset: 1 });
    expect(names(page.items)).toEqual(['c-llama', 'd-switching']);
    expect(page.total).toBe(4);
    expect(names(pageOf(fleet, { limit: 10, offset: 3 }).items)).toEqual([
      'a-embed',
    ]);
  });

  it('filters exactly: a switching deployment matches both of its models', () => {
    expect(names(pageOf(fleet, { limit: 10, model: 'org/old' }).items)).toEqual(
      ['d-switching'],
    );
    expect(names(pageOf(fleet, { limit: 10, model: 'org/new' }).items)).toEqual(
      ['d-switching'],
    );
    expect(
      names(pageOf(fleet, { limit: 10, phase: 'Not reconciled' }).items),
    ).toEqual(['c-llama']);
    expect(
      pageOf(fleet, { limit: 10, cluster: 'west', engine: 'vllm' }),
    ).toEqual({ items: [], total: 0 });
  });

  it('searches the text the table shows, in any case', () => {
    expect(names(pageOf(fleet, { limit: 10, q: '2 × a100' }).items)).toEqual([
      'b-chat',
    ]);
    expect(names(pageOf(fleet, { limit: 10, q: 'WEST/ML' }).items)).toEqual([
      'a-embed',
    ]);
    expect(names(pageOf(fleet, { limit: 10, q: 'org/old' }).items)).toEqual([
      'd-switching',
    ]);
    expect(pageOf(fleet, { limit: 10, q: 'org/new' }).total).toBe(0);
  });

  it('sorts by a column either way, ties by name', () => {
    expect(
      names(pageOf(fleet, { limit: 10, sort: 'gpus', order: 'desc' }).items),
    ).toEqual(['b-chat', 'c-llama', 'd-switching', 'a-embed']);
    expect(names(pageOf(fleet, { limit: 10, sort: 'name' }).items)).toEqual([
      'a-embed',
      'b-chat',
      'c-llama',
      'd-switching',
    ]);
  });
});

describe('fleetFacets', () => {
  it('lists every value each filter can take', () => {
    expect(fleetFacets(fleet)).toEqual({
      cluster: ['east', 'west'],
      engine: ['ollama', 'vllm'],
      model: ['org/a-embed', 'org/b-chat', 'org/c-llama', 'org/new', 'org/old'],
      phase: ['Not reconciled', 'Ready', 'Switching'],
      owner: ['group:default/ml', 'group:default/search'],
    });
  });
});
