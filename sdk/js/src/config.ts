/** TrailOptions checked and completed with their defaults. */

import { type Clock, systemClock } from './clock.js';
import { MAX_REQUEST_EVENTS } from './delivery.js';
import { browserStorage, isBrowser, MemoryStorage } from './storage.js';
import { baseUrl } from './transport.js';
import type { FetchLike, LoggerCallback, StorageLike, TrailOptions } from './types.js';

export interface Config {
  url: string;
  key: string;
  browser: boolean;
  fetch: FetchLike;
  warn: (message: string) => void;
  random: () => number;
  clock: Clock;
  batchSize: number;
  flushIntervalMs: number;
  maxQueue: number;
  maxStoredBytes: number;
  retryBaseMs: number;
  retryMaxMs: number;
  requestTimeoutMs: number;
  settings: boolean;
  settingsRetryMs: number;
  startSession: boolean;
  clientName: string;
  packageName: string | undefined;
  onMessage: LoggerCallback | undefined;
  /** Where the queue is kept across page loads (none: memory only). */
  storage: StorageLike | undefined;
  sessionStorage: StorageLike;
  prefix: string;
  captureErrors: boolean;
}

function positive(v: number | undefined, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fallback;
}

function required(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new TypeError(`trail-logger: ${what} is required`);
  return v.trim();
}

/** `undefined` → the default, `null` → none. */
function storageOption(v: StorageLike | null | undefined, fallback: () => StorageLike | undefined): StorageLike | undefined {
  return v === null ? undefined : v ?? fallback();
}

export function configOf(options: TrailOptions & { onMessage?: LoggerCallback }): Config {
  if (!options) throw new TypeError('trail-logger: options are required');
  const url = baseUrl(required(options.url, '`url` (the Trail server)'));
  const key = required(options.key, '`key` (an ingest API key)');
  const browser = isBrowser();
  const given = options.fetch;
  if (typeof (given ?? (globalThis as { fetch?: unknown }).fetch) !== 'function') {
    throw new TypeError('trail-logger: no global fetch (Node.js 18+ has one); pass `fetch`');
  }
  return {
    url,
    key,
    browser,
    // The global fetch is looked up at each call (pages and tests may replace it).
    fetch: given ?? ((input, init) => (globalThis as unknown as { fetch: FetchLike }).fetch(input, init)),
    warn: options.warn ?? ((m) => console.warn(m)),
    random: options.random ?? Math.random,
    clock: options.clock ?? systemClock,
    batchSize: Math.min(MAX_REQUEST_EVENTS, Math.floor(positive(options.batchSize, 50))),
    flushIntervalMs: positive(options.flushIntervalMs, 250),
    maxQueue: Math.floor(positive(options.maxQueue, 5000)),
    maxStoredBytes: positive(options.maxStoredBytes, 1024 * 1024),
    retryBaseMs: positive(options.retryBaseMs, 500),
    retryMaxMs: positive(options.retryMaxMs, 30_000),
    requestTimeoutMs: positive(options.requestTimeoutMs, 30_000),
    settings: options.settings !== false,
    settingsRetryMs: positive(options.settingsRetryMs, 60_000),
    startSession: options.startSession !== false,
    clientName: options.client ?? (browser ? 'browser' : 'node'),
    packageName: options.package || undefined,
    onMessage: options.onMessage,
    // The queue persists in localStorage in browsers; in Node.js only when a storage is given.
    storage: storageOption(options.storage, () => browserStorage('localStorage')),
    sessionStorage: storageOption(options.sessionStorage, () => browserStorage('sessionStorage')) ?? new MemoryStorage(),
    prefix: options.storageKey || 'trail-logger',
    captureErrors: options.captureErrors !== false,
  };
}
