import { act, renderHook, waitFor } from '@testing-library/react';
import {
  FleetQuery,
  FleetResponse,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { useFleetPage } from './useFleetPage';

const page = (phase: string): FleetResponse => ({
  items: [{ name: 'chat', phase } as FleetResponse['items'][number]],
  clusters: [],
  total: 1,
});
const first: FleetQuery = { limit: 20 };

describe('useFleetPage', () => {
  it('keeps the answer it shows when a refresh brings the same one, and takes a changed one', async () => {
    let asked = 0;
    let phase = 'Deploying';
    const load = async () => {
      asked++;
      return page(phase);
    };
    const { result } = renderHook(() => useFleetPage(load, first, 10));
    await waitFor(() => expect(result.current.answer).toBeDefined());
    const shown = result.current.answer;
    const seen = asked;
    await waitFor(() => expect(asked).toBeGreaterThan(seen + 2));
    // Equal answers (new objects each time): the same object, so nothing is drawn again.
    expect(result.current.answer).toBe(shown);

    phase = 'Ready';
    await waitFor(() =>
      expect(result.current.answer?.items[0].phase).toBe('Ready'),
    );
    expect(result.current.loading).toBe(false);
  });

  it('waits twice as long after each failed refresh, up to the longest wait, and the usual time again once it answers', async () => {
    jest.useFakeTimers();
    try {
      let asked = 0;
      let down = true;
      const load = async () => {
        asked++;
        if (down) throw new Error('backend unavailable');
        return page('Ready');
      };
      const after = (ms: number) =>
        act(() => jest.advanceTimersByTimeAsync(ms));
      const { result, unmount } = renderHook(() =>
        useFleetPage(load, first, 20, 160),
      );
      await after(0);
      expect(asked).toBe(1);
      expect(result.current.error?.message).toBe('backend unavailable');
      // Failed: the next question 40 ms later, then 80, then 160, and 160 again.
      for (const wait of [40, 80, 160, 160]) {
        const before = asked;
        await after(wait - 1);
        expect(asked).toBe(before);
        await after(1);
        expect(asked).toBe(before + 1);
      }

      down = false;
      await after(160);
      expect(result.current.answer?.items[0].phase).toBe('Ready');
      expect(result.current.error).toBeUndefined();
      // Answered: every 20 ms again.
      const before = asked;
      await after(20);
      expect(asked).toBe(before + 1);

      unmount();
      await after(1000);
      // Nothing is asked once the page is gone.
      expect(asked).toBe(before + 1);
    } finally {
      jest.useRealTimers();
    }
  });
});
