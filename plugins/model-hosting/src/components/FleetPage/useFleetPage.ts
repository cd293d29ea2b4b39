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
 * is asked again every refreshMs while none is out.
 */
export function useFleetPage(
  load: (query: FleetQuery) => Promise<FleetResponse>,
  first: FleetQuery,
  refreshMs: number,
) {
  const [state, setState] = useState<FleetPageState>({ loading: true });
  const newest = useRef(0);
  const last = useRef(first);
  const pending = useRef(0);
  const alive = useRef(true);

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
        if (isNewest()) setState({ answer, loading: false });
      } catch (e) {
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
    [load],
  );

  useEffect(() => {
    alive.current = true;
    ask(last.current);
    const timer = setInterval(() => {
      if (!pending.current) ask(last.current);
    }, refreshMs);
    return () => {
      alive.current = false;
      clearInterval(timer);
    };
  }, [ask, refreshMs]);

  return { ...state, ask };
}
