// The one place that talks HTTP to Trail. The browser sends the HttpOnly
// session cookie by itself (same origin); requests that change something repeat
// the CSRF token from the readable `trail_csrf` cookie in `X-CSRF-Token`
// (docs/security.md, "Callers").

import { ApiError, fromResponse, unreachable } from './errors';

export type Query = Record<string, string | number | boolean | undefined | null>;

interface Options {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

const CSRF_COOKIE = 'trail_csrf';
const CSRF_HEADER = 'X-CSRF-Token';

let signedOutHandler: (() => void) | undefined;

/** Called whenever the API answers 401: the session is over. */
export function onSignedOut(handler: () => void): void {
  signedOutHandler = handler;
}

/** `/api/v1/events?q=…`: a path with its query string, empty values left out. */
export function url(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

function csrfToken(): string | undefined {
  const pair = document.cookie
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${CSRF_COOKIE}=`));
  return pair?.slice(CSRF_COOKIE.length + 1) || undefined;
}

/**
 * Whether this browser holds a session: signing in sets the readable CSRF
 * cookie beside the session's, with the same lifetime, and signing out clears
 * both. Without it, asking `/auth/me` would only earn a 401 (which the browser
 * logs in its console).
 */
export const hasSession = (): boolean => csrfToken() !== undefined;

function headers(method: string, body: unknown): Headers {
  const h = new Headers({ Accept: 'application/json' });
  if (body !== undefined) h.set('Content-Type', 'application/json');
  if (method !== 'GET' && method !== 'HEAD') {
    const token = csrfToken();
    if (token) h.set(CSRF_HEADER, token);
  }
  return h;
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Sends one request and returns the parsed answer. Throws `ApiError` in plain
 * words; aborts (a newer search replaced this one) propagate as `AbortError`.
 */
export async function request<T>(method: string, path: string, options: Options = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url(path, options.query), {
      method,
      headers: headers(method, options.body),
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal ?? null,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw unreachable();
  }
  const body = await readJson(response);
  if (!response.ok) {
    const error = fromResponse(response.status, body, response.headers.get('Retry-After'));
    // A failed sign-in is a 401 too, but it is the sign-in screen's to show.
    if (error.signedOut && path !== '/api/v1/auth/sign-in') signedOutHandler?.();
    throw error;
  }
  // The answer's shape is the API's (docs/api.md, /api/openapi.json); the
  // endpoint functions name it, and the server is trusted to keep to it.
  return body as T;
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> =>
  request<T>('GET', path, { query, signal });

export const post = <T>(path: string, body?: unknown): Promise<T> => request<T>('POST', path, { body });

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

export { ApiError };
