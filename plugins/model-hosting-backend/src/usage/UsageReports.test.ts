import knexFactory, { Knex } from 'knex';
import path from 'path';
import { modelDeployment } from '../controller/testFixtures';
import { UsageReports } from './UsageReports';
import { UsageStore } from './UsageStore';

describe('UsageReports.modelsOf', () => {
  let knex: Knex;
  beforeEach(async () => {
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    await knex.migrate.latest({
      directory: path.resolve(__dirname, '../../migrations'),
    });
  });
  afterEach(() => knex.destroy());

  it('lists the pool, marks the running model and adds each model its own use', async () => {
    const store = new UsageStore(knex);
    const ref = { cluster: 'c', namespace: 'ml', name: 'gpu' };
    const now = new Date();
    await store.add(
      ref,
      'a',
      { requests: 3, promptTokens: 30, generationTokens: 9 },
      now,
    );
    await store.add(ref, 'b', { requests: 1, errors: 1 }, now);
    await store.add(ref, 'old-model', { requests: 2 }, now);
    const md = modelDeployment(m => {
      m.spec.model = { name: 'a', version: '1' };
      m.spec.models = [{ name: 'b' }, { name: 'c', source: 'hf://org/c' }];
      m.status = { activeModel: 'a' };
    });
    const models = await new UsageReports(store, () => ({
      configured: false,
    })).modelsOf(ref, md, now);
    expect(models.map(m => [m.name, m.active, m.inPool, m.requests])).toEqual([
      ['a', true, true, 3],
      ['b', false, true, 1],
      ['c', false, true, 0],
      ['old-model', false, false, 2],
    ]);
    expect(models[0]).toMatchObject({
      version: '1',
      promptTokens: 30,
      generationTokens: 9,
    });
    expect(models[1]).toMatchObject({ errors: 1 });
    expect(models[0].lastUsed).toBeDefined();
  });
});
