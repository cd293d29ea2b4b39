import {
  FleetQuery,
  FleetResponse,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { useCallback, useEffect, useRef, useState } from 'react';

/** How long an answer may take before the table shows that it is loading (no flicker). */
const SHOW_LOADING_AFTER_MS = 200;

export interface FleetPageState {
  /** The newest answer, kept on screen while the next question is out. */
  answer?: FleetResponse;
  /** The first answer is still to come, or the newest question is taking a while. */
  loading: boolean;
  /** Why the newest question failed (the last answer stays shown). */
  error?: Error;
}

/**
 * One page of the fleet from the server. `ask(query)` sends the question at once, from the event
 * that changed it, before React draws anything; an answer shows only if no newer question was
 * asked since, so a slow answer to an old keystroke never replaces a newer one. The last question
 * is asked again refreshMs after the last answer; after a failure twice as long, up to
 * maxRefreshMs (as usePolling). A refresh whose answer is the same as the one shown draws nothing.
 */
export function useFleetPage(
  load: (query: FleetQuery) => Promise<FleetResponse>,
  first: FleetQuery,
  refreshMs: number,
  maxRefreshMs = 60_000,
) {
  const [state, setState] = useState<FleetPageState>({ loading: true });
  const newest = useRef(0);
  const last = useRef(first);
  const pending = useRef(0);
  const alive = useRef(true);
  const delay = useRef(refreshMs);
  const shown = useRef<string>();

  const ask = useCallback(
    async (query: FleetQuery) => {
      last.current = query;
      const id = ++newest.current;
      const isNewest = () => alive.current && id === newest.current;
      const slow = setTimeout(() => {
        if (isNewest()) setState(s => ({ ...s, loading: true }));
      }, SHOW_LOADING_AFTER_MS);
      pending.current++;
      try {
        const answer = await load(query);
        delay.current = refreshMs;
        if (!isNewest()) return;
        const json = JSON.stringify(answer);
        const same = json === shown.current;
        shown.current = json;
        // The same object back makes React skip the render.
        setState(s =>
          same && !s.loading && !s.error ? s : { answer, loading: false },
        );
      } catch (e) {
        delay.current = Math.min(delay.current * 2, maxRefreshMs);
        if (isNewest())
          setState(s => ({
            answer: s.answer,
            error: e as Error,
            loading: false,
          }));
      } finally {
        clearTimeout(slow);
        pending.current--;
      }
    },
    [load, refreshMs, maxRefreshMs],
  );

  useEffect(() => {
    alive.current = true;
    // This effect's own flag: a remount (React's strict mode) must not leave two refresh loops.
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const refresh = async () => {
      if (!pending.current) await ask(last.current);
      if (!stopped) timer = setTimeout(refresh, delay.current);
    };
    refresh();
    return () => {
      stopped = true;
      alive.current = false;
      clearTimeout(timer);
    };
  }, [ask]);

  return { ...state, ask };
}
