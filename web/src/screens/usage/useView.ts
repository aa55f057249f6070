// One usage view's answer for the current filters. Answers are kept for a
// minute, so that Back, Forward and switching tabs show the last answer at
// once instead of asking again; a newer question aborts the older one.

import { useEffect, useState } from 'preact/hooks';
import { isAbort } from '../../api/client';
import { describe } from '../../api/errors';

export interface View<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
}

const KEEP_MS = 60_000;
const MAX_KEPT = 40;
const kept = new Map<string, { at: number; value: unknown }>();

function remembered<T>(key: string): T | undefined {
  const hit = kept.get(key);
  if (!hit || Date.now() - hit.at > KEEP_MS) return undefined;
  return hit.value as T;
}

function remember(key: string, value: unknown): void {
  kept.delete(key);
  kept.set(key, { at: Date.now(), value });
  while (kept.size > MAX_KEPT) {
    const oldest = kept.keys().next().value;
    if (oldest === undefined) break;
    kept.delete(oldest);
  }
}

/** Forgets every kept answer (the Refresh button). */
export function forgetViews(): void {
  kept.clear();
}

/**
 * Loads `load` whenever `key` changes (a key says everything the answer
 * depends on: the view and its query). An empty key loads nothing.
 */
export function useView<T>(key: string, load: (signal: AbortSignal) => Promise<T>): View<T> {
  const [state, setState] = useState<View<T> & { key: string }>(() => {
    const hit = key ? remembered<T>(key) : undefined;
    return { key, data: hit, error: undefined, loading: !!key && hit === undefined };
  });
  useEffect(() => {
    if (!key) {
      setState({ key, data: undefined, error: undefined, loading: false });
      return undefined;
    }
    const hit = remembered<T>(key);
    if (hit !== undefined) {
      setState({ key, data: hit, error: undefined, loading: false });
      return undefined;
    }
    const abort = new AbortController();
    setState((s) => ({ key, data: s.key === key ? s.data : undefined, error: undefined, loading: true }));
    load(abort.signal)
      .then((value) => {
        remember(key, value);
        setState({ key, data: value, error: undefined, loading: false });
      })
      .catch((e: unknown) => {
        if (!isAbort(e)) setState({ key, data: undefined, error: describe(e), loading: false });
      });
    return () => abort.abort();
    // `load` is a new closure each render; the key says when it asks something new.
  }, [key]);
  // Until the effect has run for a new key, the state is the old key's: never show that.
  if (state.key !== key) {
    const hit = key ? remembered<T>(key) : undefined;
    return { data: hit, error: undefined, loading: !!key && hit === undefined };
  }
  return state;
}
