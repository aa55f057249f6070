// A list of events, newest first, a page at a time (the API's cursor), with an
// optional live mode that polls the newest page and puts what is new on top.
// `key` names the list: when it changes, the list starts over.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { isAbort } from '../../api/client';
import { ApiError } from '../../api/errors';
import type { EventPage, EventView } from '../../api/types';

export type FetchPage = (cursor: string | null, signal: AbortSignal) => Promise<EventPage>;

export interface EventList {
  events: EventView[];
  /** The first page is on its way. */
  loading: boolean;
  /** A later page is on its way. */
  loadingMore: boolean;
  error: ApiError | Error | undefined;
  /** More (older) events exist. */
  more: boolean;
  loadMore: () => void;
  /** Ids that arrived through live mode in the last seconds. */
  fresh: ReadonlySet<string>;
  /** What went wrong while polling, if the last poll failed. */
  liveProblem: string | undefined;
}

/** How often live mode asks for new events. */
export const LIVE_INTERVAL_MS = 2000;
/** How long new events stay marked. */
const FRESH_MS = 6000;

/** Newest first: by when it happened, then by its place in the log. */
const newer = (a: EventView, b: EventView): boolean =>
  a.occurred_at === b.occurred_at ? a.seq > b.seq : a.occurred_at > b.occurred_at;

export function useEventList(key: string, fetchPage: FetchPage, live = false): EventList {
  const [events, setEvents] = useState<EventView[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ApiError | Error>();
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [liveProblem, setLiveProblem] = useState<string>();
  const fetcher = useRef(fetchPage);
  fetcher.current = fetchPage;
  const generation = useRef(0);

  // The first page, again whenever the list changes.
  useEffect(() => {
    const gen = ++generation.current;
    const abort = new AbortController();
    setLoading(true);
    setError(undefined);
    setEvents([]);
    setCursor(null);
    fetcher
      .current(null, abort.signal)
      .then((page) => {
        if (gen !== generation.current) return;
        setEvents(page.events);
        setCursor(page.next_cursor);
      })
      .catch((e: unknown) => {
        if (!isAbort(e) && gen === generation.current) setError(e instanceof Error ? e : new Error(String(e)));
      })
      .finally(() => {
        if (gen === generation.current) setLoading(false);
      });
    return () => abort.abort();
  }, [key]);

  const loadMore = useCallback(() => {
    if (!cursor || loadingMore || loading) return;
    const gen = generation.current;
    setLoadingMore(true);
    fetcher
      .current(cursor, new AbortController().signal)
      .then((page) => {
        if (gen !== generation.current) return;
        setEvents((known) => {
          const seen = new Set(known.map((e) => e.id));
          return [...known, ...page.events.filter((e) => !seen.has(e.id))];
        });
        setCursor(page.next_cursor);
      })
      .catch((e: unknown) => {
        if (gen === generation.current) setError(e instanceof Error ? e : new Error(String(e)));
      })
      .finally(() => setLoadingMore(false));
  }, [cursor, loadingMore, loading]);

  const shown = useRef(events);
  shown.current = events;
  useLivePolling(live && !loading && !error, key, {
    fetcher,
    generation,
    shown,
    replace: (page) => {
      setEvents(page.events);
      setCursor(page.next_cursor);
    },
    prepend: (incoming) =>
      setEvents((known) => {
        const ids = new Set(known.map((e) => e.id));
        return [...incoming.filter((e) => !ids.has(e.id)), ...known];
      }),
    setFresh,
    setProblem: setLiveProblem,
  });

  return { events, loading, loadingMore, error, more: !!cursor, loadMore, fresh, liveProblem };
}

type Setter<T> = (v: T | ((old: T) => T)) => void;

interface Live {
  fetcher: { current: FetchPage };
  generation: { current: number };
  /** The events shown now. */
  shown: { current: EventView[] };
  replace: (page: EventPage) => void;
  prepend: (events: EventView[]) => void;
  setFresh: Setter<ReadonlySet<string>>;
  setProblem: (p: string | undefined) => void;
}

/**
 * Polls the newest page while on (and while the tab is visible) and puts what
 * is newer than the newest event shown on top. When the poll shares nothing
 * with what is shown, more arrived than one page holds: the list restarts from
 * the poll, so that nothing is silently skipped.
 */
function useLivePolling(on: boolean, key: string, live: Live): void {
  const it = useRef(live);
  it.current = live;
  useEffect(() => {
    if (!on) {
      it.current.setProblem(undefined);
      return undefined;
    }
    const gen = it.current.generation.current;
    let busy = false;
    const timers: number[] = [];
    const mark = (ids: string[]): void => {
      const { setFresh } = it.current;
      setFresh((old) => new Set([...old, ...ids]));
      timers.push(
        window.setTimeout(() => setFresh((old) => new Set([...old].filter((id) => !ids.includes(id)))), FRESH_MS),
      );
    };
    const poll = async (): Promise<void> => {
      if (busy || document.visibilityState === 'hidden') return;
      busy = true;
      try {
        const page = await it.current.fetcher.current(null, new AbortController().signal);
        if (gen !== it.current.generation.current) return;
        it.current.setProblem(undefined);
        const known = it.current.shown.current;
        const ids = new Set(known.map((e) => e.id));
        const newest = known[0];
        const incoming = page.events.filter((e) => !ids.has(e.id) && (!newest || newer(e, newest)));
        if (known.length && page.events.length && !page.events.some((e) => ids.has(e.id))) {
          it.current.replace(page);
        } else if (incoming.length) {
          it.current.prepend(incoming);
        }
        if (incoming.length) mark(incoming.map((e) => e.id));
      } catch (e) {
        if (!isAbort(e)) it.current.setProblem(e instanceof Error ? e.message : String(e));
      } finally {
        busy = false;
      }
    };
    const interval = window.setInterval(() => void poll(), LIVE_INTERVAL_MS);
    void poll();
    return () => {
      window.clearInterval(interval);
      timers.forEach((t) => window.clearTimeout(t));
    };
  }, [on, key]);
}
