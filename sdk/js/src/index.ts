/**
 * trail-logger: the JavaScript/TypeScript Logger SDK of Trail.
 *
 * ```js
 * import { configure, Logger } from 'trail-logger';
 * configure({ url: 'https://trail.example.com', key: 'trail_…', user: 'alice@company.com' });
 * const logger = new Logger((m) => m.params['persistent'] = 'value');
 * logger.log('HELLO WORLD', {test: 'value', foo: 'bar'});
 * ```
 */

import { TrailClient } from './client.js';
import { Logger, setClientSource } from './logger.js';
import type { LoggerCallback, LoggerStats, LogMessage, TrailOptions, UserInfo } from './types.js';

export { Logger, type LoggerOptions } from './logger.js';
export { TrailClient } from './client.js';
export { MAX_REQUEST_EVENTS } from './delivery.js';
export { parseRetryAfter } from './transport.js';
export { uuidv7, uuidv7Time, UuidV7 } from './uuid.js';
export { MemoryStorage } from './storage.js';
export { messageToEvent, normalizeType, normalizeParams, LIMITS } from './mapping.js';
export type {
  Clock,
  EffectiveSettings,
  FetchLike,
  LoggerCallback,
  LoggerStats,
  LogLevel,
  LogMessage,
  ParamValue,
  ResponseLike,
  StorageLike,
  TrailEvent,
  TrailOptions,
  UserInfo,
} from './types.js';
export { LEVELS } from './types.js';

/** Options of `configure()`: the connection, plus a callback for every message of every Logger. */
export interface ConfigureOptions extends TrailOptions {
  /** Sees (and may change) every message, after the Logger's own callback; also uncaught errors. */
  onMessage?: LoggerCallback;
}

let current: TrailClient | undefined;
/** Messages logged before `configure()`: kept (at most this many) and sent once configured. */
const MAX_HELD = 1000;
let held: LogMessage[] = [];
let heldDropped = 0;

setClientSource({
  current: () => current,
  hold: (m) => {
    held.push(m);
    if (held.length > MAX_HELD) {
      held.shift();
      heldDropped++;
    }
  },
});

/**
 * Configures the global connection used by every `new Logger()`. Calling it
 * again replaces the configuration; events still queued for the same server
 * are carried over.
 */
export function configure(options: ConfigureOptions): TrailClient {
  const next = new TrailClient(options);
  const previous = current;
  current = next;
  if (previous) {
    // The same server: its queue moves over. Another server: it stays stored for a page configured for it.
    const same = previous.url === next.url;
    const leftover = previous.detach(same);
    if (same && leftover.length > 0) next.adopt(leftover);
  }
  if (held.length > 0) {
    const messages = held;
    held = [];
    if (heldDropped > 0) {
      console.warn(`trail-logger: ${heldDropped} messages logged before configure() were dropped (at most ${MAX_HELD} are kept)`);
      heldDropped = 0;
    }
    for (const m of messages) next.accept(m);
  }
  return next;
}

/** The global client, if `configure()` was called. */
export function getClient(): TrailClient | undefined {
  return current;
}

/** Sets or clears the signed-in person of the global configuration (starts a new session). */
export function setUser(user: UserInfo | null): void {
  requireClient('setUser').setUser(user);
}

/**
 * Sends everything queued now. Resolves `true` once all of it was acknowledged
 * (or refused for good) by the server; `false` on a refused key or when
 * `timeoutMs` passes first (nothing is lost: the events stay queued).
 */
export function flush(timeoutMs?: number): Promise<boolean> {
  return current ? current.flush(timeoutMs) : Promise.resolve(held.length === 0);
}

/** Flushes (at most `timeoutMs`, default 5 s), then removes timers and listeners. */
export async function shutdown(timeoutMs?: number): Promise<boolean> {
  const c = current;
  if (!c) return true;
  const ok = await c.shutdown(timeoutMs);
  if (current === c) current = undefined;
  return ok;
}

/** Ends the user's session on the server (e.g. at sign-out). */
export function endSession(): Promise<void> {
  return current ? current.endSession() : Promise.resolve();
}

/** What happened to the events so far. */
export function stats(): LoggerStats | undefined {
  return current?.stats();
}

function requireClient(what: string): TrailClient {
  if (!current) throw new Error(`trail-logger: call configure() before ${what}()`);
  return current;
}

export default Logger;
