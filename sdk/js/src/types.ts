import type { Clock } from './clock.js';

export type { Clock };

/** The levels of a message (the research note's: debug, info, warning, error, audit, usage). */
export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'audit' | 'usage';

export const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warning', 'error', 'audit', 'usage'];

/** A parameter value: strings, numbers, booleans, or any JSON. */
export type ParamValue = string | number | boolean | null | ParamValue[] | { [key: string]: ParamValue };

/**
 * One message, as a `Logger` callback sees it before it is sent. The callback
 * may change any field (`params` is always an object).
 */
export interface LogMessage {
  level: LogLevel;
  message: string;
  params: Record<string, unknown>;
  type: string;
  stackTrace?: string;
}

/** Called with every message before it is sent; it may change the message. */
export type LoggerCallback = (message: LogMessage) => unknown;

/** The signed-in person: a login, or the login with a display name and email. */
export type UserInfo = string | { id: string; name?: string; email?: string };

/**
 * Where the queue (and, in browsers, the session id) is kept. `localStorage`
 * and `sessionStorage` fit; any object with these methods does.
 */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  /** With `length`, lets a new page take over queues that other pages left behind. */
  key?(index: number): string | null;
  readonly length?: number;
}

/** A subset of the WHATWG `fetch`, enough for the logger (and for fakes in tests). */
export type FetchLike = (input: string, init?: {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  keepalive?: boolean;
  signal?: AbortSignal;
}) => Promise<ResponseLike>;

export interface ResponseLike {
  readonly status: number;
  readonly ok?: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface TrailOptions {
  /** The Trail server, e.g. `https://trail.example.com` (the API lives under `/api/v1`). */
  url: string;
  /** An API key of scope `ingest` (safe to embed in a page). */
  key: string;
  /** The signed-in person; starts a user session and sets the events' actor. */
  user?: UserInfo | null;
  /** The app or plugin that emits the events (`package` of every event). */
  package?: string;
  /**
   * Log uncaught errors and unhandled promise rejections with their stack
   * traces. Default true. In Node.js the error is logged and flushed (at most
   * 2 s), then, unless another handler listens, printed and the process exits
   * with code 1, as Node.js would have.
   */
  captureErrors?: boolean;
  /** Send as soon as this many events are queued (also the most per request, ≤ 1000). Default 50. */
  batchSize?: number;
  /** Send queued events at the latest this long after the oldest of them was logged. Default 250 ms. */
  flushIntervalMs?: number;
  /** The most events kept while they cannot be sent; the oldest go first. Default 5000. */
  maxQueue?: number;
  /**
   * With a `storage`: the most bytes of events kept (and written to it); the
   * oldest go first. Default 1 MiB (a tenth of a browser's usual 5 MB).
   */
  maxStoredBytes?: number;
  /** First retry delay (doubled each time, with full jitter). Default 500 ms. */
  retryBaseMs?: number;
  /** Longest retry delay. Default 30 000 ms. */
  retryMaxMs?: number;
  /** Time limit of one request. Default 30 000 ms. */
  requestTimeoutMs?: number;
  /** Ask the server which events the user's logging settings keep out, and drop them before sending. Default true. */
  settings?: boolean;
  /** When the settings cannot be read, ask again (before a later send) no sooner than this. Default 60 000 ms. */
  settingsRetryMs?: number;
  /** Start a user session when a user is given. Default true. */
  startSession?: boolean;
  /** What the session's `client` says. Default `browser` in browsers, `node` in Node.js. */
  client?: string;
  /** Queue storage. Default: `localStorage` in browsers, memory in Node.js. `null`: memory. */
  storage?: StorageLike | null;
  /** Session id storage. Default: `sessionStorage` in browsers, memory in Node.js. */
  sessionStorage?: StorageLike | null;
  /** Prefix of the storage keys. Default `trail-logger`. */
  storageKey?: string;
  /** The `fetch` to use (tests pass a fake). Default: the global `fetch`. */
  fetch?: FetchLike;
  /** Where the logger's own warnings go. Default `console.warn`. */
  warn?: (message: string) => void;
  /** Random numbers in [0, 1) for the retry jitter. Default `Math.random`. */
  random?: () => number;
  /** Time and timers (tests pass a virtual clock). Default: `Date.now` and the global timers. */
  clock?: Clock;
}

/**
 * The effective logging settings of a user (`GET /api/v1/logging-settings/effective`).
 * An event is recorded iff its type is not in `disabled_types` and (its level
 * is not `debug`, or `debug`, or its type is in `debug_types`).
 */
export interface EffectiveSettings {
  user?: string;
  policy?: unknown;
  source?: unknown;
  /** Types never recorded. */
  disabled_types: string[];
  /** Whether debug-level events of every type are recorded. */
  debug: boolean;
  /** Types whose debug-level events are recorded though `debug` is false. */
  debug_types: string[];
  refresh_seconds?: number;
}

/** An event as sent to `POST /api/v1/events`. */
export interface TrailEvent {
  id: string;
  type: string;
  occurred_at: string;
  source: 'client';
  level: LogLevel;
  message?: string;
  params?: Record<string, ParamValue>;
  session_id?: string;
  actor?: { kind: 'user'; id: string; name?: string; email?: string };
  package?: string;
  error?: { message: string; stack_trace?: string };
}

/** Counters of what happened to the events since the client was configured. */
export interface LoggerStats {
  /** Events waiting to be sent (or being sent). */
  queued: number;
  /** Events the server acknowledged (stored, or already stored by an earlier try). */
  acknowledged: number;
  /** Requests that failed and were retried. */
  retries: number;
  /** Events dropped, by reason. */
  dropped: {
    /** The queue was full (`maxQueue` events, or `maxStoredBytes`): the oldest event made way. */
    queueFull: number;
    /** The server refused the event as invalid (400). */
    invalid: number;
    /** The id is already stored with other content (409). */
    conflict: number;
    /** Disabled by the user's logging settings (here or on the server). */
    disabled: number;
    /** Too large to send even alone (413). */
    tooLarge: number;
  };
}
