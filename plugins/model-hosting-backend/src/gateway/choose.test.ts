import { modelDeployment } from '../controller/testFixtures';
import { choose } from './choose';

const target = (
  name: string,
  replicas: number,
  readyReplicas: number,
  inFlight = 0,
) => ({
  name,
  inFlight,
  md: modelDeployment(m => {
    m.metadata.name = name;
    m.spec.replicas = replicas;
    m.status = { readyReplicas };
  }),
});
const pick = (...ts: ReturnType<typeof target>[]) =>
  choose(ts, t => t.inFlight).name;

describe('choose', () => {
  it('prefers a ready deployment, then one already starting, over waking one at zero', () => {
    expect(pick(target('zero', 0, 0), target('ready', 1, 1, 50))).toBe('ready');
    expect(pick(target('zero', 0, 0), target('starting', 1, 0))).toBe(
      'starting',
    );
  });

  it('spreads requests by what is in flight per ready replica', () => {
    expect(pick(target('small', 1, 1, 4), target('big', 4, 4, 8))).toBe('big'); // 4 per replica against 2
    expect(pick(target('small', 1, 1, 1), target('big', 4, 4, 8))).toBe(
      'small',
    );
  });
});
