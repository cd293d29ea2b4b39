import { decideRollout } from './rollout';
import { modelDeployment, settledDeployment } from './testFixtures';

const now = new Date('2026-11-24T12:00:00Z');

describe('decideRollout', () => {
  it('applies the spec when nothing is switching', () => {
    const md = modelDeployment(m => (m.status = { activeModel: 'model-a' }));
    expect(
      decideRollout(
        md,
        {
          deployment: settledDeployment('model-a', 2),
          podCount: 2,
          oneMoreFits: true,
        },
        now,
      ),
    ).toEqual({
      action: { kind: 'apply', replicas: 2 },
      switch: undefined,
      started: undefined,
    });
  });

  it('starts a recreate switch by freeing the GPUs first', () => {
    const md = modelDeployment(m => {
      m.spec.model = { name: 'model-b' };
      m.status = { activeModel: 'model-a' };
    });
    const d = decideRollout(
      md,
      {
        deployment: settledDeployment('model-a', 2),
        podCount: 2,
        oneMoreFits: true,
      },
      now,
    );
    expect(d.action).toEqual({ kind: 'scaleDown' });
    expect(d.started).toEqual({
      from: 'model-a',
      to: 'model-b',
      strategy: 'recreate',
      step: 'ScalingDown',
      startedAt: now.toISOString(),
      trigger: 'action',
    });
  });

  it('starts the new model once the old pods are gone', () => {
    const md = modelDeployment(m => {
      m.spec.model = { name: 'model-b' };
      m.status = {
        activeModel: 'model-a',
        switch: {
          from: 'model-a',
          to: 'model-b',
          strategy: 'recreate',
          step: 'ScalingDown',
          startedAt: '2026-11-24T11:59:50Z',
        },
      };
    });
    const d = decideRollout(
      md,
      {
        deployment: settledDeployment('model-a', 0),
        podCount: 0,
        oneMoreFits: true,
      },
      now,
    );
    expect(d.action).toEqual({ kind: 'apply', replicas: 2 });
    expect(d.switch?.step).toBe('Starting');
  });

  it('switches rolling when a new pod fits, and falls back to recreate when GPUs are full', () => {
    const md = modelDeployment(m => {
      m.spec.model = { name: 'model-b' };
      m.spec.switching = { strategy: 'rolling' };
      m.status = { activeModel: 'model-a' };
    });
    const free = decideRollout(
      md,
      {
        deployment: settledDeployment('model-a', 2),
        podCount: 2,
        oneMoreFits: true,
      },
      now,
    );
    expect(free.action).toEqual({ kind: 'apply', replicas: 2 });
    expect(free.started?.strategy).toBe('rolling');
    const full = decideRollout(
      md,
      {
        deployment: settledDeployment('model-a', 2),
        podCount: 2,
        oneMoreFits: false,
      },
      now,
    );
    expect(full.action).toEqual({ kind: 'scaleDown' });
    expect(full.started?.strategy).toBe('recreate');
  });

  it('completes when the new model has rolled out, recording how long it took', () => {
    const md = modelDeployment(m => {
      m.spec.model = { name: 'model-b' };
      m.status = {
        activeModel: 'model-a',
        switch: {
          from: 'model-a',
          to: 'model-b',
          strategy: 'recreate',
          step: 'Starting',
          startedAt: '2026-11-24T11:59:48Z',
        },
      };
    });
    const d = decideRollout(
      md,
      {
        deployment: settledDeployment('model-b', 2),
        podCount: 2,
        oneMoreFits: true,
      },
      now,
    );
    expect(d.switch).toBeUndefined();
    expect(d.completed).toEqual({
      from: 'model-a',
      to: 'model-b',
      strategy: 'recreate',
      seconds: 12,
      finishedAt: now.toISOString(),
    });
  });

  it('resumes a switch after a restart from what the resource says, not from memory', () => {
    const md = modelDeployment(m => {
      m.spec.model = { name: 'model-b' };
      m.status = {
        activeModel: 'model-a',
        switch: {
          from: 'model-a',
          to: 'model-b',
          strategy: 'recreate',
          step: 'ScalingDown',
          startedAt: '2026-11-24T11:59:00Z',
        },
      };
    });
    // Old pods still terminating: keep scaling down, do not start a second switch.
    const d = decideRollout(
      md,
      {
        deployment: settledDeployment('model-a', 0),
        podCount: 1,
        oneMoreFits: true,
      },
      now,
    );
    expect(d.action).toEqual({ kind: 'scaleDown' });
    expect(d.started).toBeUndefined();
    expect(d.switch?.startedAt).toBe('2026-11-24T11:59:00Z');
  });

  it('heads for the newest model when switched again mid-switch', () => {
    const md = modelDeployment(m => {
      m.spec.model = { name: 'model-c' };
      m.status = {
        activeModel: 'model-a',
        switch: {
          from: 'model-a',
          to: 'model-b',
          strategy: 'recreate',
          step: 'Starting',
          startedAt: '2026-11-24T11:59:00Z',
        },
      };
    });
    const d = decideRollout(
      md,
      {
        deployment: settledDeployment('model-b', 2),
        podCount: 2,
        oneMoreFits: false,
      },
      now,
    );
    expect(d.started).toMatchObject({ from: 'model-a', to: 'model-c' });
  });

  it('needs no switch for a first deployment or one scaled to zero', () => {
    const fresh = modelDeployment();
    expect(
      decideRollout(fresh, { podCount: 0, oneMoreFits: true }, now).started,
    ).toBeUndefined();
    const idle = modelDeployment(m => {
      m.spec.model = { name: 'model-b' };
      m.spec.replicas = 0;
      m.status = { activeModel: 'model-a' };
    });
    expect(
      decideRollout(
        idle,
        {
          deployment: settledDeployment('model-a', 0),
          podCount: 0,
          oneMoreFits: true,
        },
        now,
      ),
    ).toMatchObject({
      action: { kind: 'apply', replicas: 0 },
      started: undefined,
    });
  });
});
