import { EventLoopDelay } from './eventLoopDelay';

describe('EventLoopDelay', () => {
  it('reports how long the event loop was held in the last complete window', async () => {
    const delay = new EventLoopDelay(60);
    delay.start();
    try {
      expect(delay.lastWindow).toBeUndefined();
      await new Promise(r => setTimeout(r, 50));
      const until = Date.now() + 120;
      while (Date.now() < until); // hold the loop, as a long synchronous query would
      await new Promise(r => setTimeout(r, 50));
      delay.closeWindow();
      const window = delay.lastWindow!;
      expect(window.seconds).toBe(60);
      expect(window.max).toBeGreaterThanOrEqual(90);
      expect(window.p50).toBeLessThanOrEqual(window.max);
    } finally {
      delay.stop();
    }
  });
});
