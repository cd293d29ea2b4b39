import { mockServices } from '@backstage/backend-test-utils';
import knexFactory, { Knex } from 'knex';
import path from 'path';
import { FleetTraffic } from './FleetTraffic';
import { Traffic } from './Traffic';

const ref = { cluster: 'c', namespace: 'ml', name: 'chat' };

describe('FleetTraffic', () => {
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

  it('adds up every replica’s requests in flight and held, and their latest request', async () => {
    const a = new Traffic();
    const b = new Traffic();
    const fleetA = new FleetTraffic(
      knex,
      a,
      'replica-a',
      mockServices.logger.mock(),
    );
    const fleetB = new FleetTraffic(
      knex,
      b,
      'replica-b',
      mockServices.logger.mock(),
    );
    a.start(ref);
    b.start(ref);
    b.start(ref);
    b.hold(ref, 10);
    await fleetB.publish();
    await fleetA.refresh();
    expect(fleetA.inFlightOf(ref)).toBe(3);
    expect(fleetA.waitingOf(ref)).toBe(1);
    expect(fleetA.lastRequestOf(ref)).toBeGreaterThan(Date.now() - 5000);
  });

  it('ignores the counts of a replica that stopped publishing, but not its last request', async () => {
    const b = new Traffic();
    const fleetB = new FleetTraffic(
      knex,
      b,
      'replica-b',
      mockServices.logger.mock(),
    );
    b.start(ref);
    await fleetB.publish(new Date(Date.now() - 60_000));
    const fleetA = new FleetTraffic(
      knex,
      new Traffic(),
      'replica-a',
      mockServices.logger.mock(),
    );
    await fleetA.refresh();
    expect(fleetA.inFlightOf(ref)).toBe(0);
    expect(fleetA.lastRequestOf(ref)).toBeDefined();
  });
});
