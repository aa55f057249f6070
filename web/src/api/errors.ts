// Errors of the API in plain words. The server's messages are already meant
// for people (docs/api.md); what is added here is what to do about them.

import type { ErrorBody } from './types';

export class ApiError extends Error {
  /** The HTTP status, or 0 when Trail could not be reached at all. */
  readonly status: number;
  /** The API's stable code (`invalid_query`, `forbidden`, …) or `network`. */
  readonly code: string;
  /** For `invalid_query`: the 1-based column of the term at fault. */
  readonly column: number | undefined;

  constructor(status: number, code: string, message: string, column?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.column = column;
  }

  /** The session ended or never was: the app must go to the sign-in screen. */
  get signedOut(): boolean {
    return this.status === 401;
  }
}

const COLUMN = /\s*\(at column (\d+)\)\s*$/;

/** The error a response with a non-2xx status stands for. */
export function fromResponse(status: number, body: unknown, retryAfter: string | null): ApiError {
  const detail = isErrorBody(body) ? body.error : undefined;
  const code = detail?.code ?? `http_${status}`;
  const message = detail?.message ?? '';
  if (code === 'invalid_query') {
    const match = COLUMN.exec(message);
    const column = match?.[1] ? Number(match[1]) : undefined;
    return new ApiError(status, code, sentence(message.replace(COLUMN, '')), column);
  }
  return new ApiError(status, code, plainWords(status, message, retryAfter));
}

/** A failed fetch: the browser got no answer at all. */
export function unreachable(): ApiError {
  return new ApiError(
    0,
    'network',
    'Trail cannot be reached. Check that the server is running and your network is up, then try again.',
  );
}

function plainWords(status: number, message: string, retryAfter: string | null): string {
  switch (status) {
    case 401:
      return message.startsWith('wrong login')
        ? 'Wrong login or password, or too many failed attempts. Try again in a while.'
        : 'Your session has ended. Sign in again.';
    case 403:
      return `You are not allowed to do this: ${message || 'your role does not permit it'}.`;
    case 404:
      return sentence(message || 'Not found; it may not exist, or you may not be allowed to see it');
    case 429:
      return `Too many attempts. Wait ${retryAfter ? `${retryAfter} seconds` : 'a minute'} and try again.`;
    case 503:
      return 'Trail’s database is unavailable right now. Try again in a few seconds.';
    default:
      if (status >= 500) return 'Trail hit an internal error. The server’s log has the details.';
      return sentence(message || `The request failed (HTTP ${status})`);
  }
}

/**
 * Starts with a capital and ends with a full stop, as the rest of the UI does;
 * a field named as the API names it (`allowed_ips: …`, `expires_at must …`,
 * `users.bob: …`) keeps its spelling.
 */
function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const fieldFirst = /^[a-z][\w.]*[_.][\w.]*\b|^[a-z]\w*:/.test(t);
  const first = fieldFirst ? t : t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

function isErrorBody(v: unknown): v is ErrorBody {
  if (typeof v !== 'object' || v === null || !('error' in v)) return false;
  const e = (v as { error: unknown }).error;
  return typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string';
}

/** Any thrown value as words for the screen. */
export function describe(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
