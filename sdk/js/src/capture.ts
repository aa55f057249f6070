/**
 * Uncaught errors and unhandled promise rejections, logged as type `error`:
 * a window's `error`/`unhandledrejection` events in browsers; in Node.js the
 * process's `uncaughtException`/`unhandledRejection`, after which the process
 * ends as Node.js would have ended it.
 */

import { type Cleanup, listen, nodeProcess, pageUrl, SharedProcessListener } from './environment.js';
import { errorParts, toText } from './text.js';
import type { LogMessage } from './types.js';

/** Uncaught errors logged per minute at most (an error in a render loop must not flood). */
const MAX_PER_MINUTE = 60;
/** How long a crashing Node.js process waits for its errors to be sent. */
export const CRASH_FLUSH_MS = 2000;

/** An uncaught error as a message; `fallbackStack` when the error itself has none. */
export function errorMessage(error: unknown, params: Record<string, unknown>, fallbackStack?: string): LogMessage {
  const parts = errorParts(error);
  const m: LogMessage = { level: 'error', type: 'error', message: parts?.message ?? (toText(error) || String(error)), params };
  const stack = parts?.stack ?? fallbackStack;
  if (stack) m.stackTrace = stack;
  return m;
}

/** Lets at most MAX_PER_MINUTE through per minute. */
export class RateLimit {
  private windowStart = -Infinity;
  private count = 0;

  constructor(private readonly now: () => number) {}

  /** Whether one more may pass now. */
  take(): boolean {
    const now = this.now();
    if (now - this.windowStart > 60_000) {
      this.windowStart = now;
      this.count = 0;
    }
    return ++this.count <= MAX_PER_MINUTE;
  }
}

export const RATE_LIMIT_WARNING = `trail-logger: more than ${MAX_PER_MINUTE} uncaught errors in a minute; the rest of the minute's are not logged`;

type Report = (error: unknown, params: Record<string, unknown>, fallbackStack?: string) => void;

/** A page's uncaught errors and unhandled rejections. */
export function captureBrowserErrors(report: Report): Cleanup {
  const withUrl = (params: Record<string, unknown>) => {
    const url = pageUrl();
    return url === undefined ? params : { ...params, url };
  };
  return listen(globalThis as unknown as Window, {
    error: (e) => {
      const ev = e as ErrorEvent;
      const params: Record<string, unknown> = { kind: 'uncaught' };
      if (ev.filename) params.filename = ev.filename;
      if (ev.lineno) params.line = ev.lineno;
      if (ev.colno) params.column = ev.colno;
      // A cross-origin script's error has no error object: its message and place are all there is.
      const where = ev.filename ? `${ev.message || 'Error'}\n    at ${ev.filename}:${ev.lineno ?? 0}:${ev.colno ?? 0}` : undefined;
      report(ev.error ?? (ev.message || 'Script error.'), withUrl(params), where);
    },
    unhandledrejection: (e) => report((e as PromiseRejectionEvent).reason, withUrl({ kind: 'unhandledrejection' })),
  });
}

/** Set once the process is being ended (a second error meanwhile must not end it twice). */
let exiting = false;

/**
 * Node.js: every client logs the error and flushes (at most CRASH_FLUSH_MS);
 * then, unless another handler listens and decides, the error is printed and
 * the process exits with code 1, as Node.js would have done without us.
 */
function endLikeNode(flushes: Array<Promise<unknown>>, error: unknown, alone: boolean): void {
  if (!alone) return;
  void Promise.allSettled(flushes).then(() => {
    if (exiting) return;
    exiting = true;
    try {
      console.error(error);
    } finally {
      nodeProcess()?.exit(1);
    }
  });
}

const CRASHES = ['uncaughtException', 'unhandledRejection'] as const;
const crashListeners = CRASHES.map((kind) => ({ kind, listener: new SharedProcessListener<Promise<unknown>>(kind, endLikeNode) }));

/** Registers a client's crash handler: it logs the error and gives back its flush. */
export function captureNodeCrashes(crash: (error: unknown, kind: (typeof CRASHES)[number]) => Promise<unknown>): Cleanup {
  const offs = crashListeners.map(({ kind, listener }) => listener.add((error) => crash(error, kind)));
  return () => offs.forEach((off) => off());
}
