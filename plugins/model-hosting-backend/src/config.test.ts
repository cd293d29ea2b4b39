import { ConfigReader } from '@backstage/config';
import { readModelHostingConfig } from './config';

describe('readModelHostingConfig', () => {
  it('keeps at least one reconcile worker', () => {
    const c = readModelHostingConfig(
      new ConfigReader({ modelHosting: { reconciler: { workers: 0.3 } } }),
    );
    expect(c.reconciler.workers).toBe(1);
  });

  it('fills in every default, in seconds', () => {
    const c = readModelHostingConfig(new ConfigReader({}));
    expect(c.requestTimeoutSeconds).toBe(10);
    expect(c.reconciler).toEqual({
      enabled: true,
      leaseNamespace: 'model-hosting',
      leaseDurationSeconds: 15,
      workers: 16,
    });
    expect(c.health).toMatchObject({
      enabled: true,
      tickSeconds: 5,
      concurrency: 50,
      timeoutSeconds: 10,
      access: 'proxy',
      endpoints: {},
      maxRestartsPerHour: 3,
      recoveryBackoffSeconds: 60,
      statusRefreshSeconds: 300,
      retentionDays: 7,
    });
    expect(c.prometheus).toBeUndefined();
    expect(c.gateway).toMatchObject({
      maxWaitSeconds: 300,
      maxPendingRequests: 100,
      requestTimeoutSeconds: 600,
      permissionCacheSeconds: 5,
    });
    expect(c.autoscaler).toEqual({ tickSeconds: 5, windowSeconds: 30 });
    expect(c.usage).toEqual({
      minuteRetentionHours: 24,
      hourRetentionDays: 30,
    });
  });

  it('reads endpoints by deployment and the Prometheus source', () => {
    const c = readModelHostingConfig(
      new ConfigReader({
        modelHosting: {
          health: {
            endpoints: [
              { cluster: 'c', namespace: 'n', name: 'x', url: 'http://h:1' },
            ],
          },
          prometheus: { url: 'http://prom:9090' },
        },
      }),
    );
    expect(c.health.endpoints).toEqual({ 'c/n/x': 'http://h:1' });
    expect(c.prometheus).toEqual({
      url: 'http://prom:9090',
      timeoutSeconds: 5,
      gpuUtilizationQuery: 'avg by (namespace, pod) (DCGM_FI_DEV_GPU_UTIL)',
    });
  });

  it('still reads the old requestTimeoutMs, with a warning', () => {
    const warn = jest.fn();
    const c = readModelHostingConfig(
      new ConfigReader({ modelHosting: { requestTimeoutMs: 2500 } }),
      warn,
    );
    expect(c.requestTimeoutSeconds).toBe(2.5);
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining('requestTimeoutSeconds'),
    );
  });

  it('refuses values that cannot work, naming the key', () => {
    expect(() =>
      readModelHostingConfig(
        new ConfigReader({ modelHosting: { health: { access: 'tunnel' } } }),
      ),
    ).toThrow(
      "modelHosting.health.access must be proxy or clusterDns, not 'tunnel'",
    );
    expect(() =>
      readModelHostingConfig(
        new ConfigReader({ modelHosting: { gateway: { maxWaitSeconds: 0 } } }),
      ),
    ).toThrow('modelHosting.gateway.maxWaitSeconds must be a positive number');
    expect(() =>
      readModelHostingConfig(
        new ConfigReader({
          modelHosting: { gateway: { permissionCacheSeconds: 3600 } },
        }),
      ),
    ).toThrow(
      'modelHosting.gateway.permissionCacheSeconds must be between 0 and 60, not 3600',
    );
  });

  it("turns the gateway's permission cache off with 0", () => {
    const c = readModelHostingConfig(
      new ConfigReader({
        modelHosting: { gateway: { permissionCacheSeconds: 0 } },
      }),
    );
    expect(c.gateway.permissionCacheSeconds).toBe(0);
  });
});
