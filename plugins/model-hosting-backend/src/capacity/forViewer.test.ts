import { forViewer } from './forViewer';

describe('forViewer', () => {
  it('names only the caller team pods; others are counts without names', () => {
    const view = forViewer(
      {
        cluster: 'c',
        reachable: true,
        totals: [],
        nodes: [
          {
            name: 'n',
            sharing: 'exclusive',
            ready: true,
            resources: [],
            holders: [
              {
                deployment: { namespace: 'a', name: 'mine' },
                pod: 'mine-1',
                namespace: 'a',
                resource: 'nvidia.com/gpu',
                count: 2,
              },
              {
                deployment: { namespace: 'b', name: 'theirs' },
                pod: 'theirs-1',
                namespace: 'b',
                resource: 'nvidia.com/gpu',
                count: 1,
              },
              {
                pod: 'training-job',
                namespace: 'c',
                resource: 'nvidia.com/gpu',
                count: 3,
              },
            ],
          },
        ],
        pending: [
          {
            deployment: { namespace: 'b', name: 'theirs' },
            pod: 'theirs-2',
            namespace: 'b',
            requests: { 'nvidia.com/gpu': 1 },
            reason: 'Insufficient',
          },
        ],
      },
      d => d?.name === 'mine',
    );
    expect(view.nodes[0].holders).toEqual([
      {
        deployment: { namespace: 'a', name: 'mine' },
        pod: 'mine-1',
        namespace: 'a',
        resource: 'nvidia.com/gpu',
        count: 2,
      },
      {
        pod: '',
        namespace: '',
        resource: 'nvidia.com/gpu',
        count: 4,
        otherTeams: true,
      },
    ]);
    expect(view.pending).toEqual([
      {
        pod: '',
        namespace: '',
        requests: { 'nvidia.com/gpu': 1 },
        reason: '1 pod(s) of other teams waiting for GPUs',
        otherTeams: true,
      },
    ]);
    expect(JSON.stringify(view)).not.toContain('theirs');
  });
});
