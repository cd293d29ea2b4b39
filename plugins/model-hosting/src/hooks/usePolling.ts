import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Loads now and again every intervalMs, keeping the last good value on screen (so filters, sort
 * and scroll survive); after a failure waits twice as long, up to maxIntervalMs. An answer equal to
 * the last one keeps the value as it was: a fleet of thousands is not rendered again every poll.
 */
export function usePolling<T>(
  load: () => Promise<T>,
  deps: unknown[],
  intervalMs = 5000,
  maxIntervalMs = 60_000,
) {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(true);
  const delay = useRef(intervalMs);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const alive = useRef(true);
  const lastAnswer = useRef<string>();
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const loadRef = useCallback(load, deps);

  const run = useCallback(async () => {
    clearTimeout(timer.current);
    try {
      const next = await loadRef();
      if (!alive.current) return;
      const answer = JSON.stringify(next);
      if (answer !== lastAnswer.current) {
        lastAnswer.current = answer;
        setValue(next);
      }
      setError(undefined);
      delay.current = intervalMs;
    } catch (e) {
      if (!alive.current) return;
      setError(e as Error);
      delay.current = Math.min(delay.current * 2, maxIntervalMs);
    } finally {
      if (alive.current) {
        setLoading(false);
        timer.current = setTimeout(run, delay.current);
      }
    }
  }, [loadRef, intervalMs, maxIntervalMs]);

  useEffect(() => {
    alive.current = true;
    setLoading(true);
    run();
    return () => {
      alive.current = false;
      clearTimeout(timer.current);
    };
  }, [run]);

  return { value, error, loading, refresh: run };
}
