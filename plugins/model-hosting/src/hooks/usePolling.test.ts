import { renderHook, waitFor } from '@testing-library/react';
import { usePolling } from './usePolling';

describe('usePolling', () => {
  it('keeps the value it has when an answer is equal to the last one, and takes a changed one', async () => {
    let answers = 0;
    let phase = 'Deploying';
    const load = async () => {
      answers++;
      return { items: [{ name: 'chat', phase }] };
    };
    const { result } = renderHook(() => usePolling(load, [], 10));
    await waitFor(() => expect(result.current.value).toBeDefined());
    const first = result.current.value;
    const seen = answers;
    await waitFor(() => expect(answers).toBeGreaterThan(seen + 2));
    // Equal answers (new objects each time): the same value, so nothing renders again.
    expect(result.current.value).toBe(first);

    phase = 'Ready';
    await waitFor(() =>
      expect(result.current.value?.items[0].phase).toBe('Ready'),
    );
    expect(result.current.loading).toBe(false);
    expect(result.current.error).toBeUndefined();
  });
});
