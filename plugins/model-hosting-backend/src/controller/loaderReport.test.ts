import { modelCacheOf } from './loaderReport';

const pod = (
  message: string,
  exitCode = 0,
  finishedAt = '2026-11-25T12:00:00Z',
) => ({
  status: {
    initContainerStatuses: [
      {
        name: 'model-loader',
        ready: true,
        restartCount: 0,
        image: 'l',
        imageID: '',
        state: {
          terminated: { exitCode, message, finishedAt: new Date(finishedAt) },
        },
      },
    ],
  },
});

describe('modelCacheOf', () => {
  it('reads the newest pod’s loader report', () => {
    const report = (cache: string) =>
      JSON.stringify({
        models: [{ model: 'm', cache, bytes: 1234, seconds: 2 }],
        seconds: 2.34,
      });
    expect(
      modelCacheOf([
        pod(report('miss'), 0, '2026-11-25T11:00:00Z'),
        pod(report('hit')),
      ] as any),
    ).toEqual({
      hit: true,
      loadSeconds: 2.3,
      bytes: 1234,
      reportedAt: '2026-11-25T12:00:00.000Z',
    });
  });

  it.each([
    [['hit', 'volume'], true],
    [['engine'], true],
    [['hit', 'error'], true],
    [['hit', 'miss'], false],
  ])('counts only a download as a miss: %j → hit %s', (caches, hit) => {
    const message = JSON.stringify({
      models: caches.map(cache => ({ model: 'm', cache })),
      seconds: 1,
    });
    expect(modelCacheOf([pod(message)] as any)?.hit).toBe(hit);
  });

  it('ignores a failed loader and a message that is not a report', () => {
    expect(
      modelCacheOf([pod('access denied', 1), pod('not json')] as any),
    ).toBeUndefined();
  });
});
