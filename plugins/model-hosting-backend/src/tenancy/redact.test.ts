import { hideEnvValues } from './redact';

describe('hideEnvValues', () => {
  it('hides literal env values wherever an env list sits, and keeps Secret refs by name', () => {
    const secretRef = {
      name: 'HF_TOKEN',
      valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } },
    };
    expect(
      hideEnvValues({
        spec: {
          env: [{ name: 'API_KEY', value: 'sk-1' }, secretRef],
          models: [
            { name: 'a', env: [{ name: 'PASSWORD', value: 'p' }] },
            { name: 'b' },
          ],
        },
        env: [{ name: 'SWITCH', value: 's' }],
      }),
    ).toEqual({
      spec: {
        env: [{ name: 'API_KEY', value: '(hidden)' }, secretRef],
        models: [
          { name: 'a', env: [{ name: 'PASSWORD', value: '(hidden)' }] },
          { name: 'b' },
        ],
      },
      env: [{ name: 'SWITCH', value: '(hidden)' }],
    });
  });

  it('leaves other values alone', () => {
    expect(hideEnvValues({ replicas: 2, args: ['--x'], env: 'text' })).toEqual({
      replicas: 2,
      args: ['--x'],
      env: 'text',
    });
  });
});
