// The address bar is the app's state: the screen in the path, the filters and
// the open entry in the query string, so that every view can be bookmarked,
// shared and reached with Back and Forward. The server answers every client
// route with index.html (crates/trail-server/src/routes/web.rs).

import { useEffect, useState } from 'preact/hooks';

export interface Place {
  path: string;
  params: URLSearchParams;
}

const CHANGED = 'trail:navigate';

function current(): Place {
  return { path: location.pathname, params: new URLSearchParams(location.search) };
}

/** Goes to `to` (a path with an optional query string) without reloading the page. */
export function navigate(to: string, { replace = false } = {}): void {
  const now = location.pathname + location.search;
  if (to === now) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGED));
}

/**
 * Changes some query parameters of the current place; `undefined` or an empty
 * string removes one. Filters replace the entry (typing is not history);
 * opening an entry pushes one, so Back closes it.
 */
export function setParams(patch: Record<string, string | undefined>, { replace = true } = {}): void {
  const params = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || v === '') params.delete(k);
    else params.set(k, v);
  }
  const qs = params.toString();
  navigate(qs ? `${location.pathname}?${qs}` : location.pathname, { replace });
}

/** The current place, re-rendering on every navigation. */
export function usePlace(): Place {
  const [place, setPlace] = useState(current);
  useEffect(() => {
    const update = (): void => setPlace(current());
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGED, update);
    };
  }, []);
  return place;
}

/** Matches `/entities/:kind/:id` against a path; the named parts, decoded, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.replace(/\/+$/, '').split('/');
  if (want.length !== got.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? '';
    const g = got[i] ?? '';
    if (w.startsWith(':')) {
      if (!g) return null;
      try {
        out[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null;
      }
    } else if (w !== g) {
      return null;
    }
  }
  return out;
}

/**
 * Where to go after signing in: only a path on this site, never another
 * origin (`//evil.example` or `https://…` would make the sign-in page a
 * redirector).
 */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/activity';
  if (next.startsWith('/sign-in')) return '/activity';
  return next;
}

/** The path and query string of where the viewer is now. */
export const here = (): string => location.pathname + location.search;
