/**
 * The delivery side: one configured connection to a Trail server with its
 * queue, batching, retries, persistence, user session and logging settings.
 */

import { actorOf, messageToEvent, utf8Length } from './mapping.js';
import { browserStorage, isBrowser, keysWithPrefix, MemoryStorage } from './storage.js';
import type {
  EffectiveSettings,
  FetchLike,
  LoggerCallback,
  LoggerStats,
  LogMessage,
  ResponseLike,
  StorageLike,
  TrailEvent,
  TrailOptions,
  UserInfo,
} from './types.js';
import { randomHex, UuidV7 } from './uuid.js';

/** The most events the server takes in one request (`--max-batch-events`). */
export const MAX_REQUEST_EVENTS = 1000;
/** Bodies of normal requests stay under this (the server takes 10 MiB). */
const MAX_REQUEST_BYTES = 1024 * 1024;
/** Browsers allow at most 64 KiB of keepalive bodies in flight per page. */
const KEEPALIVE_BUDGET = 60 * 1024;
/** How long a send waits for the session and the first settings before going without them. */
const READY_WAIT_MS = 3000;
/** After a 401/403, the next try. */
const AUTH_RETRY_MS = 5 * 60 * 1000;
/** When the settings call fails with 401/403/404 (not allowed or not there), the next try. */
const SETTINGS_RETRY_MS = 60 * 1000;
/** Uncaught errors logged per minute at most (an error in a render loop must not flood). */
const MAX_CAPTURED_PER_MINUTE = 60;

interface Entry {
  seq: number;
  event: TrailEvent;
  /** Logged while the user's session was being started: gets its id before the first send. */
  awaitingSession: boolean;
}

type Outcome =
  | { kind: 'network'; error: unknown }
  | { kind: 'http'; status: number; text: string; retryAfterMs: number | undefined };

interface Waiter {
  target: number;
  resolve: (ok: boolean) => void;
}

type Timer = ReturnType<typeof setTimeout>;

/** `Retry-After` as milliseconds: seconds, or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(parseFloat(v) * 1000);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/**
 * A browser cannot read `Retry-After` on a cross-origin answer unless the
 * server exposes it (`Access-Control-Expose-Headers`); Trail's 429 also says
 * "retry in N s" in its message, which is used then.
 */
function retryAfterFromBody(outcome: { status: number; text: string }): number | undefined {
  if (outcome.status !== 429) return undefined;
  const m = /retry in (\d+(?:\.\d+)?) ?s\b/i.exec(outcome.text);
  return m ? Math.round(parseFloat(m[1]!) * 1000) : undefined;
}

function baseUrl(url: string): string {
  let u = String(url).trim().replace(/\/+$/, '');
  if (u.endsWith('/api/v1')) u = u.slice(0, -'/api/v1'.length);
  return u;
}

function nodeProcess():
  | {
      on(event: string, fn: (...args: unknown[]) => void): void;
      off?(event: string, fn: (...args: unknown[]) => void): void;
      removeListener(event: string, fn: (...args: unknown[]) => void): void;
      listenerCount(event: string): number;
      exit(code?: number): never;
      exitCode?: number;
      versions?: { node?: string };
    }
  | undefined {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return p && p.versions && p.versions.node ? (p as never) : undefined;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class TrailClient {
  readonly url: string;
  private readonly key: string;
  private readonly fetchFn: FetchLike;
  private readonly warnFn: (message: string) => void;
  private readonly random: () => number;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueue: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly requestTimeoutMs: number;
  private readonly useSettings: boolean;
  private readonly settingsRetryMs: number;
  private readonly useSession: boolean;
  private readonly clientName: string;
  private readonly packageName: string | undefined;
  private readonly onMessage: LoggerCallback | undefined;
  private readonly storage: StorageLike | undefined;
  private readonly sessionStore: StorageLike;
  private readonly prefix: string;
  private readonly queueKey: string;
  private readonly uuid = new UuidV7();

  private queue: Entry[] = [];
  private seq = 0;
  private sending = false;
  private flushTimer: Timer | undefined;
  private retryTimer: Timer | undefined;
  private retryAt = 0;
  private attempt = 0;
  private maxPerRequest: number;
  private authBlocked = false;
  private authTimer: Timer | undefined;
  private waiters: Waiter[] = [];
  private keepaliveIds = new Set<string>();

  private actor: TrailEvent['actor'];
  private user: { id: string; name?: string; email?: string } | undefined;
  private sessionId: string | undefined;
  private sessionPromise: Promise<void> | undefined;
  private lastSessionTry = 0;

  private settings: EffectiveSettings | undefined;
  private disabled = new Set<string>();
  private settingsPromise: Promise<void> | undefined;
  private settingsTimer: Timer | undefined;
  private settingsGeneration = 0;

  private persistTimer: Timer | undefined;
  private cleanups: Array<() => void> = [];
  private warned = new Set<string>();
  private capturedWindowStart = 0;
  private capturedInWindow = 0;
  private queueFullStreak = 0;
  private closed = false;
  private exiting = false;
  private exitFlushes = 0;

  private readonly counters: LoggerStats = {
    queued: 0,
    acknowledged: 0,
    retries: 0,
    dropped: { queueFull: 0, invalid: 0, conflict: 0, disabled: 0, tooLarge: 0 },
  };

  constructor(options: TrailOptions & { onMessage?: LoggerCallback }) {
    if (!options || typeof options.url !== 'string' || options.url.trim() === '') {
      throw new TypeError('trail-logger: `url` (the Trail server) is required');
    }
    if (typeof options.key !== 'string' || options.key.trim() === '') {
      throw new TypeError('trail-logger: `key` (an ingest API key) is required');
    }
    const browser = isBrowser();
    this.url = baseUrl(options.url);
    this.key = options.key.trim();
    const f = options.fetch ?? (globalThis as { fetch?: FetchLike }).fetch;
    if (typeof f !== 'function') {
      throw new TypeError('trail-logger: no global fetch (Node.js 18+ has one); pass `fetch`');
    }
    this.fetchFn = options.fetch ? f : (input, init) => (globalThis as unknown as { fetch: FetchLike }).fetch(input, init);
    this.warnFn = options.warn ?? ((m) => console.warn(m));
    this.random = options.random ?? Math.random;
    const positive = (v: number | undefined, dflt: number) =>
      typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : dflt;
    this.batchSize = Math.min(MAX_REQUEST_EVENTS, Math.floor(positive(options.batchSize, 50)));
    this.flushIntervalMs = positive(options.flushIntervalMs, 1000);
    this.maxQueue = Math.floor(positive(options.maxQueue, 5000));
    this.retryBaseMs = positive(options.retryBaseMs, 500);
    this.retryMaxMs = positive(options.retryMaxMs, 30_000);
    this.requestTimeoutMs = positive(options.requestTimeoutMs, 30_000);
    this.useSettings = options.settings !== false;
    this.settingsRetryMs = positive(options.settingsRetryMs, SETTINGS_RETRY_MS);
    this.useSession = options.startSession !== false;
    this.clientName = options.client ?? (browser ? 'browser' : 'node');
    this.packageName = options.package || undefined;
    this.onMessage = options.onMessage;
    this.maxPerRequest = this.batchSize;
    this.prefix = options.storageKey || 'trail-logger';

    // The queue persists in localStorage in browsers; in Node.js only when a storage is given.
    this.storage =
      options.storage === null ? undefined : options.storage ?? browserStorage('localStorage');
    this.sessionStore =
      (options.sessionStorage === null ? undefined : options.sessionStorage ?? browserStorage('sessionStorage')) ??
      new MemoryStorage();
    const listable = this.storage && typeof this.storage.key === 'function' && typeof this.storage.length === 'number';
    this.queueKey = listable ? `${this.prefix}:queue:${randomHex(8)}` : `${this.prefix}:queue`;

    this.adoptPersisted();
    this.setUserInternal(options.user ?? undefined);

    const capture = options.captureErrors ?? browser;
    if (capture) this.installErrorCapture(browser);
    if (browser) this.installPageLifecycle();
    else this.installNodeExit();

    if (this.queue.length > 0) this.schedulePump(0);
  }

  // ---------------------------------------------------------------- messages

  /** Takes a message (after the Logger's callback) and queues its event. */
  accept(m: LogMessage): void {
    if (this.closed) {
      this.warnOnce('closed', 'trail-logger: a message was logged after shutdown(); it is not sent');
      return;
    }
    if (this.onMessage) {
      try {
        this.onMessage(m);
      } catch (e) {
        this.warnOnce('onMessage', `trail-logger: the onMessage callback threw: ${String(e)}`);
      }
    }
    if (m.params == null || typeof m.params !== 'object') m.params = {};
    const event = messageToEvent(m, {
      id: this.uuid.next(),
      now: new Date(),
      sessionId: this.sessionId,
      actor: this.actor,
      package: this.packageName,
      warn: (key, message) => this.warnOnce(`map:${key}`, `trail-logger: ${message}`),
    });
    // Without a session id yet (it is being started, or will be retried before
    // the next send), the event gets it before its first send.
    this.enqueue({ seq: 0, event, awaitingSession: !!this.actor && !this.sessionId && this.useSession });
  }

  private enqueue(entry: Entry): void {
    if (this.isDisabled(entry.event)) {
      this.counters.dropped.disabled++;
      return;
    }
    entry.seq = ++this.seq;
    this.queue.push(entry);
    this.trimQueue();
    this.markDirty();
    if (this.queue.length >= this.batchSize) this.schedulePump(0);
    else if (!this.flushTimer && !this.sending) this.flushTimer = this.timer(() => {
      this.flushTimer = undefined;
      void this.pump();
    }, this.flushIntervalMs);
  }

  private trimQueue(): void {
    const over = this.queue.length - this.maxQueue;
    if (over <= 0) return;
    this.queue.splice(0, over);
    this.counters.dropped.queueFull += over;
    if (this.queueFullStreak === 0) {
      this.warn(`trail-logger: the queue is full (${this.maxQueue} events: the server cannot be reached); dropping the oldest`);
    }
    this.queueFullStreak += over;
  }

  // ------------------------------------------------------------------ users

  /** Sets (or with `null` clears) the signed-in person; a new person starts a new session. */
  setUser(user: UserInfo | null | undefined): void {
    this.setUserInternal(user ?? undefined);
  }

  private setUserInternal(user: UserInfo | undefined): void {
    const next = user == null || (typeof user === 'object' && !user.id) || user === '' ? undefined : user;
    const actor = next ? actorOf(next) : undefined;
    if (actor && !actor.id) throw new TypeError('trail-logger: `user` needs a login (`id`)');
    const same = actor && this.actor && actor.id === this.actor.id;
    this.actor = actor;
    this.user = actor ? { id: actor.id, name: actor.name, email: actor.email } : undefined;
    if (!same) {
      this.sessionId = undefined;
      this.sessionPromise = undefined;
      this.lastSessionTry = 0;
      this.settings = undefined;
      this.disabled = new Set();
      this.settingsGeneration++;
      if (this.settingsTimer) clearTimeout(this.settingsTimer);
      this.settingsTimer = undefined;
      this.settingsPromise = undefined;
      if (actor) {
        this.restoreOrStartSession();
        if (this.useSettings) this.settingsPromise = this.refreshSettings();
      }
    }
  }

  private sessionKey(login: string): string {
    return `${this.prefix}:session:${this.url}:${login}`;
  }

  private restoreOrStartSession(): void {
    if (!this.user) return;
    try {
      const stored = this.sessionStore.getItem(this.sessionKey(this.user.id));
      if (stored && /^[0-9a-f-]{36}$/i.test(stored)) {
        this.sessionId = stored;
        return;
      }
    } catch {
      // Unreadable storage: start a new session.
    }
    if (this.useSession) this.startSessionCall();
  }

  private startSessionCall(): void {
    if (!this.user || this.sessionPromise) return;
    const user = this.user;
    this.lastSessionTry = Date.now();
    const body: { user: { id: string; name?: string; email?: string }; client: string } = {
      user: { id: user.id },
      client: this.clientName,
    };
    if (user.name) body.user.name = user.name;
    if (user.email) body.user.email = user.email;
    this.sessionPromise = (async () => {
      const outcome = await this.request('/api/v1/sessions', 'POST', JSON.stringify(body));
      if (this.user?.id !== user.id) return; // the user changed meanwhile
      if (outcome.kind === 'http' && (outcome.status === 201 || outcome.status === 200)) {
        const answer = safeParse(outcome.text) as { id?: unknown } | undefined;
        if (answer && typeof answer.id === 'string') {
          this.sessionId = answer.id;
          try {
            this.sessionStore.setItem(this.sessionKey(user.id), answer.id);
          } catch {
            // Kept in memory only.
          }
          return;
        }
      }
      const what = outcome.kind === 'http' ? `${outcome.status} ${outcome.text.slice(0, 200)}` : String(outcome.error);
      this.warnOnce(
        'session',
        `trail-logger: could not start a session (${what}); events are sent without one and the server joins them to the person's open session`,
      );
    })()
      .catch(() => undefined)
      .finally(() => {
        if (this.user?.id === user.id) this.sessionPromise = undefined;
      });
  }

  /** Events logged while the session was starting get its id before their first send. */
  private stampSessions(): void {
    for (const e of this.queue) {
      if (!e.awaitingSession) continue;
      if (this.sessionPromise) continue; // still starting
      e.awaitingSession = false;
      if (this.sessionId && e.event.actor && this.actor && e.event.actor.id === this.actor.id && !e.event.session_id) {
        e.event.session_id = this.sessionId;
      }
    }
  }

  /** Ends the current user session on the server (e.g. at sign-out). */
  async endSession(): Promise<void> {
    const id = this.sessionId;
    const user = this.user;
    if (!id || !user) return;
    this.sessionId = undefined;
    try {
      this.sessionStore.removeItem(this.sessionKey(user.id));
    } catch {
      // Nothing stored.
    }
    await this.request(`/api/v1/sessions/${encodeURIComponent(id)}/end`, 'POST', '{}');
  }

  // --------------------------------------------------------------- settings

  private refreshSettings(): Promise<void> {
    return this.refreshSettingsOnce().catch((e: unknown) => {
      this.warnOnce('internal-settings', `trail-logger: internal error while reading the settings: ${String(e)}`);
    });
  }

  private async refreshSettingsOnce(): Promise<void> {
    const generation = this.settingsGeneration;
    const user = this.user;
    if (!user) return;
    const outcome = await this.request(
      `/api/v1/logging-settings/effective?user=${encodeURIComponent(user.id)}`,
      'GET',
      undefined,
    );
    if (generation !== this.settingsGeneration || this.closed) return;
    let next = this.settingsRetryMs;
    if (outcome.kind === 'http' && outcome.status === 200) {
      const s = safeParse(outcome.text) as Partial<EffectiveSettings> | undefined;
      if (s && Array.isArray(s.disabled_types)) {
        this.settings = {
          ...s,
          disabled_types: s.disabled_types.filter((t): t is string => typeof t === 'string'),
          debug: s.debug !== false,
        } as EffectiveSettings;
        this.disabled = new Set(this.settings.disabled_types);
        const r = Number(s.refresh_seconds);
        next = Number.isFinite(r) && r > 0 ? Math.min(Math.max(r, 1), 3600) * 1000 : 60_000;
        // Events queued before the settings were known are filtered now.
        this.dropDisabledQueued();
      }
    } else if (outcome.kind === 'http' && [401, 403, 404].includes(outcome.status)) {
      // Not allowed for this key, or not on this server: send everything, ask again later.
      this.settings = undefined;
      this.disabled = new Set();
      this.warnOnce(
        'settings',
        `trail-logger: the logging settings are not available to this key (${outcome.status}); every event is sent, the server still applies them`,
      );
    } else {
      // Unreachable or failing: keep what we had, ask again sooner.
      next = Math.min(this.settingsRetryMs, 15_000);
    }
    this.settingsTimer = this.backgroundTimer(() => {
      this.settingsTimer = undefined;
      void this.refreshSettings();
    }, next);
  }

  private isDisabled(e: TrailEvent): boolean {
    const s = this.settings;
    if (!s || !e.actor || !this.actor || e.actor.id !== this.actor.id) return false;
    if (this.disabled.has(e.type)) return true;
    return e.level === 'debug' && s.debug === false;
  }

  private dropDisabledQueued(): void {
    const before = this.queue.length;
    this.queue = this.queue.filter((e) => !(this.isDisabled(e.event) && !this.keepaliveIds.has(e.event.id)));
    const gone = before - this.queue.length;
    if (gone > 0) {
      this.counters.dropped.disabled += gone;
      this.markDirty();
      this.notifyWaiters();
    }
  }

  /** The effective logging settings last received (undefined: none, everything is sent). */
  get effectiveSettings(): EffectiveSettings | undefined {
    return this.settings;
  }

  /** The user session's id, once started. */
  get session(): string | undefined {
    return this.sessionId;
  }

  // ---------------------------------------------------------------- sending

  private schedulePump(delayMs: number): void {
    if (delayMs <= 0) {
      Promise.resolve().then(() => this.pump());
      return;
    }
    this.timer(() => void this.pump(), delayMs);
  }

  private wantsMore(): boolean {
    return this.queue.length >= this.batchSize || this.waiters.length > 0 || this.exiting;
  }

  /** Sends what is queued, a batch at a time; never rejects (a bug here must not become an "uncaught error" to log). */
  private pump(): Promise<void> {
    return this.pumpOnce().catch((e: unknown) => {
      this.sending = false;
      this.warnOnce('internal', `trail-logger: internal error while sending: ${String(e)}`);
    });
  }

  private async pumpOnce(): Promise<void> {
    if (this.sending || this.closed || this.authBlocked) return;
    if (this.queue.length === 0) {
      this.notifyWaiters();
      return;
    }
    const wait = this.retryAt - Date.now();
    if (wait > 0) {
      if (!this.retryTimer) {
        this.retryTimer = this.timer(() => {
          this.retryTimer = undefined;
          void this.pump();
        }, wait);
      }
      return;
    }
    this.sending = true;
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    try {
      await this.ready();
      while (this.queue.length > 0 && !this.closed) {
        this.stampSessions();
        this.dropDisabledQueued();
        if (this.queue.length === 0) break;
        const batch = this.takeBatch();
        const outcome = await this.post(batch, false);
        const next = this.handle(batch, outcome);
        this.notifyWaiters();
        // 'again': part of the batch was refused or it was split; the rest goes now.
        if (next === 'stop' || (next === 'next' && !this.wantsMore())) break;
      }
    } finally {
      this.sending = false;
    }
    if (this.queue.length > 0 && !this.authBlocked && !this.retryTimer && !this.closed) {
      if (this.wantsMore()) this.schedulePump(0);
      else if (!this.flushTimer)
        this.flushTimer = this.timer(() => {
          this.flushTimer = undefined;
          void this.pump();
        }, this.flushIntervalMs);
    }
    this.notifyWaiters();
  }

  /** Waits (a little) for the session and the first settings, so the first events carry both. */
  private async ready(): Promise<void> {
    if (this.user && !this.sessionId && !this.sessionPromise && this.useSession && Date.now() - this.lastSessionTry > 30_000) {
      // The session could not be started earlier (server down): try again now.
      this.startSessionCall();
    }
    const pending = [this.sessionPromise, this.settings ? undefined : this.settingsPromise].filter(
      (p): p is Promise<void> => !!p,
    );
    if (pending.length === 0) return;
    let t: Timer | undefined;
    await Promise.race([
      Promise.all(pending).catch(() => undefined),
      new Promise<void>((resolve) => {
        t = this.timer(resolve, READY_WAIT_MS);
      }),
    ]);
    if (t) clearTimeout(t);
    // Whatever did not come in time is not waited for again.
    if (this.settingsPromise && !this.settings) this.settingsPromise = undefined;
  }

  private takeBatch(): Entry[] {
    const n = Math.max(1, Math.min(this.maxPerRequest, MAX_REQUEST_EVENTS));
    const batch: Entry[] = [];
    let bytes = 2;
    for (const e of this.queue) {
      if (batch.length >= n) break;
      const size = utf8Length(JSON.stringify(e.event)) + 1;
      if (batch.length > 0 && bytes + size > MAX_REQUEST_BYTES) break;
      bytes += size;
      batch.push(e);
    }
    return batch;
  }

  private async request(path: string, method: string, body: string | undefined, keepalive = false): Promise<Outcome> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.key}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    const t = controller ? this.timer(() => controller.abort(), this.requestTimeoutMs) : undefined;
    try {
      const init: Parameters<FetchLike>[1] = { method, headers };
      if (body !== undefined) init.body = body;
      if (keepalive) init.keepalive = true;
      if (controller) init.signal = controller.signal;
      const res: ResponseLike = await this.fetchFn(`${this.url}${path}`, init);
      let text = '';
      try {
        text = await res.text();
      } catch {
        // The body was cut off: the status still counts.
      }
      let retryAfter: string | null = null;
      try {
        retryAfter = res.headers?.get('retry-after') ?? null;
      } catch {
        retryAfter = null;
      }
      return { kind: 'http', status: res.status, text, retryAfterMs: parseRetryAfter(retryAfter) };
    } catch (error) {
      return { kind: 'network', error };
    } finally {
      if (t) clearTimeout(t);
    }
  }

  private post(batch: Entry[], keepalive: boolean): Promise<Outcome> {
    const body = '[' + batch.map((e) => JSON.stringify(e.event)).join(',') + ']';
    return this.request('/api/v1/events', 'POST', body, keepalive);
  }

  private removeIds(ids: Set<string>): number {
    const before = this.queue.length;
    this.queue = this.queue.filter((e) => !ids.has(e.event.id));
    const gone = before - this.queue.length;
    if (gone > 0) this.markDirty();
    return gone;
  }

  /** Acts on the server's answer: send on, send the rest of this batch at once, or stop. */
  private handle(batch: Entry[], outcome: Outcome): 'next' | 'again' | 'stop' {
    if (outcome.kind === 'http') {
      const s = outcome.status;
      if (s === 200 || s === 201) {
        this.acknowledged(batch, outcome.text);
        this.attempt = 0;
        this.retryAt = 0;
        if (this.maxPerRequest < this.batchSize) this.maxPerRequest = Math.min(this.batchSize, this.maxPerRequest * 2);
        return 'next';
      }
      if (s === 400) return this.invalid(batch, outcome.text);
      if (s === 409) return this.conflict(batch, outcome.text);
      if (s === 413) {
        if (batch.length === 1) {
          this.removeIds(new Set([batch[0]!.event.id]));
          this.counters.dropped.tooLarge++;
          this.warnOnce('413', `trail-logger: an event is too large for the server even alone; dropped (${outcome.text.slice(0, 200)})`);
        } else {
          this.maxPerRequest = Math.max(1, Math.floor(batch.length / 2));
        }
        return 'again';
      }
      if (s === 401 || s === 403) {
        this.authBlocked = true;
        this.warn(
          `trail-logger: the server refused the key (${s} ${outcome.text.slice(0, 200)}); sending stops, the ${this.queue.length} queued events are kept`,
        );
        this.markDirty();
        this.authTimer = this.backgroundTimer(() => {
          this.authTimer = undefined;
          this.authBlocked = false;
          void this.pump();
        }, AUTH_RETRY_MS);
        this.notifyWaiters();
        return 'stop';
      }
      if (s !== 408 && s !== 429 && s < 500) {
        this.warnOnce(`status:${s}`, `trail-logger: unexpected answer ${s} from ${this.url}/api/v1/events: ${outcome.text.slice(0, 200)}; retrying`);
      }
    }
    this.backoff(outcome.kind === 'http' ? outcome.retryAfterMs ?? retryAfterFromBody(outcome) : undefined);
    return 'stop';
  }

  private backoff(retryAfterMs: number | undefined): void {
    this.attempt++;
    this.counters.retries++;
    const cap = Math.min(this.retryMaxMs, this.retryBaseMs * Math.pow(2, Math.min(this.attempt - 1, 30)));
    let delay = this.random() * cap; // full jitter
    if (retryAfterMs !== undefined) delay = Math.max(delay, Math.min(retryAfterMs, 10 * 60 * 1000));
    this.retryAt = Date.now() + delay;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = this.timer(() => {
      this.retryTimer = undefined;
      void this.pump();
    }, delay);
  }

  /** The delay before the next retry (for tests and diagnostics); 0 when none is pending. */
  get nextRetryInMs(): number {
    return Math.max(0, this.retryAt - Date.now());
  }

  private acknowledged(batch: Entry[], text: string): void {
    const ids = new Set(batch.map((e) => e.event.id));
    // Counted once, also when a keepalive request and a normal one both carried an event.
    const removed = this.removeIds(ids);
    const answer = safeParse(text) as { dropped?: unknown[] } | undefined;
    const dropped = Math.min(removed, answer && Array.isArray(answer.dropped) ? answer.dropped.length : 0);
    this.counters.dropped.disabled += dropped;
    this.counters.acknowledged += removed - dropped;
    if (this.queueFullStreak > 0) {
      this.warn(`trail-logger: the server is reachable again; ${this.queueFullStreak} events were dropped while the queue was full`);
      this.queueFullStreak = 0;
    }
  }

  private invalid(batch: Entry[], text: string): 'again' {
    const answer = safeParse(text) as
      | { error?: { code?: string; message?: string; details?: Array<{ index?: number; field?: string; message?: string }> } }
      | undefined;
    const details = answer?.error?.details;
    if (answer?.error?.code === 'invalid_events' && Array.isArray(details) && details.length > 0) {
      const bad = new Set<string>();
      let sessionGone = false;
      for (const d of details) {
        const entry = typeof d.index === 'number' ? batch[d.index] : undefined;
        if (!entry) continue;
        if (d.field === 'session_id') {
          // The session is unknown (a new database, another account): send without it.
          if (entry.event.session_id === this.sessionId) sessionGone = true;
          delete entry.event.session_id;
          continue;
        }
        bad.add(entry.event.id);
        this.warnOnce(
          'invalid',
          `trail-logger: the server refused an event as invalid and it was dropped: ${d.field ?? ''}: ${d.message ?? ''}`,
        );
      }
      if (sessionGone && this.user) {
        try {
          this.sessionStore.removeItem(this.sessionKey(this.user.id));
        } catch {
          // Nothing stored.
        }
        this.sessionId = undefined;
        this.lastSessionTry = 0;
      }
      // Fields of events not at fault (a session id) may have changed; drop the refused ones.
      for (const e of batch) if (e.event.session_id === undefined) e.awaitingSession = false;
      const gone = this.removeIds(bad);
      this.counters.dropped.invalid += gone;
      this.markDirty();
      return 'again';
    }
    // A 400 without details (a malformed body?): find the culprit by halving.
    if (batch.length === 1) {
      this.removeIds(new Set([batch[0]!.event.id]));
      this.counters.dropped.invalid++;
      this.warnOnce('invalid', `trail-logger: the server refused an event and it was dropped: ${text.slice(0, 200)}`);
    } else {
      this.maxPerRequest = Math.max(1, Math.floor(batch.length / 2));
    }
    return 'again';
  }

  private conflict(batch: Entry[], text: string): 'again' {
    const answer = safeParse(text) as { error?: { ids?: unknown[] } } | undefined;
    const ids = (answer?.error?.ids ?? []).filter((x): x is string => typeof x === 'string');
    const inBatch = new Set(batch.map((e) => e.event.id));
    const hit = new Set(ids.filter((id) => inBatch.has(id)));
    if (hit.size > 0) {
      // Stored already (with other content): nothing is lost by dropping them.
      this.counters.dropped.conflict += this.removeIds(hit);
      this.warnOnce('409', `trail-logger: ${hit.size} event id(s) were already stored with other content; dropped`);
      return 'again';
    }
    if (batch.length === 1) {
      this.counters.dropped.conflict += this.removeIds(inBatch);
    } else {
      this.maxPerRequest = Math.max(1, Math.floor(batch.length / 2));
    }
    return 'again';
  }

  // ----------------------------------------------------------------- flushing

  /** Node.js: with no one waiting any more, pending retries no longer hold the process. */
  private relaxTimers(): void {
    if (this.exiting || this.waiters.length > 0) return;
    for (const pending of [this.retryTimer, this.flushTimer]) {
      const maybe = pending as unknown as { unref?: () => void } | undefined;
      if (maybe && typeof maybe.unref === 'function') maybe.unref();
    }
  }

  private notifyWaiters(): void {
    if (this.waiters.length === 0) return;
    const oldest = this.queue.length > 0 ? this.queue.reduce((m, e) => Math.min(m, e.seq), Infinity) : Infinity;
    this.waiters = this.waiters.filter((w) => {
      if (oldest > w.target) {
        w.resolve(true);
        return false;
      }
      if (this.authBlocked || this.closed) {
        w.resolve(false);
        return false;
      }
      return true;
    });
    this.relaxTimers();
  }

  /**
   * Sends everything queued now. Resolves `true` once all of it was
   * acknowledged or refused for good by the server, `false` when the key is
   * refused or `timeoutMs` passed first (the events stay queued).
   */
  flush(timeoutMs?: number): Promise<boolean> {
    const target = this.seq;
    const pendingNow = this.queue.some((e) => e.seq <= target);
    if (!pendingNow) return Promise.resolve(true);
    if (this.authBlocked || this.closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let t: Timer | undefined;
      const waiter: Waiter = {
        target,
        resolve: (ok) => {
          if (t) clearTimeout(t);
          resolve(ok);
        },
      };
      this.waiters.push(waiter);
      // Someone waits: the pending retry must keep a Node.js process alive.
      for (const pending of [this.retryTimer, this.flushTimer]) {
        const maybe = pending as unknown as { ref?: () => void } | undefined;
        if (maybe && typeof maybe.ref === 'function') maybe.ref();
      }
      if (timeoutMs !== undefined && timeoutMs >= 0) {
        t = this.timer(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          this.relaxTimers();
          resolve(false);
        }, timeoutMs, true);
      }
      void this.pump();
    });
  }

  /** Flushes (for at most `timeoutMs`, default 5 s), then stops: timers, listeners, persisting what is left. */
  async shutdown(timeoutMs = 5000): Promise<boolean> {
    const ok = this.closed ? this.queue.length === 0 : await this.flush(timeoutMs);
    this.detach();
    return ok;
  }

  /**
   * Stops timers and listeners and gives back what is queued: persisted for a
   * later page, or (`handOver`) removed from storage for the caller to adopt.
   */
  detach(handOver = false): TrailEvent[] {
    this.closed = true;
    for (const t of [this.flushTimer, this.retryTimer, this.authTimer, this.settingsTimer, this.persistTimer]) {
      if (t) clearTimeout(t);
    }
    this.flushTimer = this.retryTimer = this.authTimer = this.settingsTimer = undefined;
    this.settingsGeneration++;
    for (const c of this.cleanups.splice(0)) {
      try {
        c();
      } catch {
        // Already gone.
      }
    }
    if (handOver) {
      try {
        this.storage?.removeItem(this.queueKey);
      } catch {
        // Nothing stored.
      }
    } else {
      this.persistNow();
    }
    for (const w of this.waiters.splice(0)) w.resolve(this.queue.length === 0);
    return this.queue.map((e) => e.event);
  }

  /** Takes over events of a previous configuration (same server): sent as they are. */
  adopt(events: TrailEvent[]): void {
    const known = new Set(this.queue.map((e) => e.event.id));
    for (const event of events) {
      if (!event || typeof event.id !== 'string' || known.has(event.id)) continue;
      known.add(event.id);
      this.queue.push({ seq: ++this.seq, event, awaitingSession: false });
    }
    this.trimQueue();
    this.markDirty();
    if (this.queue.length > 0) this.schedulePump(0);
  }

  stats(): LoggerStats {
    return {
      ...this.counters,
      queued: this.queue.length,
      dropped: { ...this.counters.dropped },
    };
  }

  // -------------------------------------------------------------- persisting

  private markDirty(): void {
    if (!this.storage || this.persistTimer) return;
    this.persistTimer = this.backgroundTimer(() => {
      this.persistTimer = undefined;
      this.persistNow();
    }, 200);
  }

  /** Writes the queue to storage now (so a reload or a crash of the tab loses nothing). */
  persistNow(): void {
    if (this.persistTimer) {
      clearTimeout(this.persistTimer);
      this.persistTimer = undefined;
    }
    const storage = this.storage;
    if (!storage) return;
    try {
      if (this.queue.length === 0) {
        storage.removeItem(this.queueKey);
        return;
      }
    } catch {
      return;
    }
    const events = this.queue.map((e) => e.event);
    // When the storage is full, keep the newest part that fits.
    for (let keep = events.length; keep > 0; keep = Math.floor(keep / 2)) {
      try {
        storage.setItem(this.queueKey, JSON.stringify({ url: this.url, events: events.slice(events.length - keep) }));
        if (keep < events.length) {
          this.warnOnce('persist-full', `trail-logger: storage is full; only the newest ${keep} of ${events.length} queued events are kept across a reload`);
        }
        return;
      } catch {
        // Try with fewer.
      }
    }
    this.warnOnce('persist', 'trail-logger: the queue cannot be stored; it is kept in memory only');
  }

  /**
   * Takes over the queues that earlier pages (or other tabs) of this server
   * left behind: their ids make sending them again safe.
   */
  private adoptPersisted(): void {
    const storage = this.storage;
    if (!storage) return;
    const keys = new Set(keysWithPrefix(storage, `${this.prefix}:queue:`));
    keys.add(`${this.prefix}:queue`);
    const events: TrailEvent[] = [];
    for (const k of keys) {
      let raw: string | null = null;
      try {
        raw = storage.getItem(k);
      } catch {
        continue;
      }
      if (!raw) continue;
      const parsed = safeParse(raw) as { url?: unknown; events?: unknown } | undefined;
      // Another server's queue is left for a page configured for it.
      if (!parsed || parsed.url !== this.url || !Array.isArray(parsed.events)) continue;
      for (const e of parsed.events as unknown[]) {
        if (e && typeof e === 'object' && typeof (e as TrailEvent).id === 'string' && typeof (e as TrailEvent).type === 'string') {
          events.push(e as TrailEvent);
        }
      }
      try {
        storage.removeItem(k);
      } catch {
        // Left for another page.
      }
    }
    if (events.length === 0) return;
    // Oldest first (UUIDv7 ids sort by time).
    events.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const seen = new Set<string>();
    for (const event of events) {
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      this.queue.push({ seq: ++this.seq, event, awaitingSession: false });
    }
    this.trimQueue();
    this.persistNow();
  }

  // ----------------------------------------------------------- the page's end

  /**
   * The page is being hidden (maybe for good): the queue is stored first, then
   * sent with `keepalive` requests, which outlive the page, in chunks that keep
   * within the browser's 64 KiB for such requests.
   */
  onPageHide(): void {
    if (this.closed) return;
    this.persistNow();
    if (this.authBlocked || this.queue.length === 0) return;
    // Browsers allow 64 KiB of keepalive bodies in flight per page, all requests
    // together: one request with as much of the queue as fits. What does not
    // fit stays stored and is sent by the next page (or this one, if it lives on).
    let remaining = KEEPALIVE_BUDGET - 2;
    const chunk: Entry[] = [];
    for (const e of this.queue) {
      if (chunk.length >= MAX_REQUEST_EVENTS) break;
      if (this.keepaliveIds.has(e.event.id) || this.isDisabled(e.event)) continue;
      if (e.awaitingSession && this.sessionId && !e.event.session_id && e.event.actor?.id === this.actor?.id) {
        e.event.session_id = this.sessionId;
      }
      e.awaitingSession = false;
      const size = utf8Length(JSON.stringify(e.event)) + 1;
      if (size > remaining) continue;
      chunk.push(e);
      remaining -= size;
    }
    if (chunk.length === 0) return;
    const ids = chunk.map((e) => e.event.id);
    for (const id of ids) this.keepaliveIds.add(id);
    void this.post(chunk, true).then((outcome) => {
      for (const id of ids) this.keepaliveIds.delete(id);
      // The page lived on (a hidden tab): take the answer like any other.
      if (outcome.kind === 'http' && (outcome.status === 200 || outcome.status === 201)) {
        this.acknowledged(chunk, outcome.text);
        this.notifyWaiters();
      }
    }).catch(() => undefined);
  }

  // ------------------------------------------------------------ environment

  /**
   * A timer. In Node.js the logger's timers do not keep the process alive (see
   * installNodeExit), except delivery's while someone awaits a flush or the
   * process is exiting.
   */
  private timer(fn: () => void, ms: number, keepAlive = false): Timer {
    const t = setTimeout(fn, Math.max(0, ms));
    if (!keepAlive && !this.exiting && this.waiters.length === 0) {
      const maybe = t as unknown as { unref?: () => void };
      if (typeof maybe.unref === 'function') maybe.unref();
    }
    return t;
  }

  /** A timer that never keeps a Node.js process alive (settings, persisting, the key's retry). */
  private backgroundTimer(fn: () => void, ms: number): Timer {
    const t = setTimeout(fn, Math.max(0, ms));
    const maybe = t as unknown as { unref?: () => void };
    if (typeof maybe.unref === 'function') maybe.unref();
    return t;
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(message);
  }

  private warn(message: string): void {
    try {
      this.warnFn(message);
    } catch {
      // A warning must never break logging.
    }
  }

  private installPageLifecycle(): void {
    const doc = (globalThis as unknown as { document: Document }).document;
    const win = globalThis as unknown as Window;
    const onVisibility = () => {
      if (doc.visibilityState === 'hidden') this.onPageHide();
    };
    const onHide = () => this.onPageHide();
    const onOnline = () => {
      this.retryAt = 0;
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
      }
      void this.pump();
    };
    doc.addEventListener('visibilitychange', onVisibility);
    win.addEventListener('pagehide', onHide);
    win.addEventListener('online', onOnline);
    this.cleanups.push(() => {
      doc.removeEventListener('visibilitychange', onVisibility);
      win.removeEventListener('pagehide', onHide);
      win.removeEventListener('online', onOnline);
    });
  }

  /** Node.js: what is queued when the event loop runs dry is sent before the process exits. */
  private installNodeExit(): void {
    const proc = nodeProcess();
    if (!proc) return;
    const onBeforeExit = () => {
      if (this.closed || this.queue.length === 0 || this.authBlocked || this.exitFlushes >= 1) return;
      this.exitFlushes++;
      this.exiting = true;
      void this.flush(5000).then(() => {
        this.exiting = false;
        this.relaxTimers();
      });
    };
    // A given storage (a file, say) gets the queue as it is at the very end.
    const onExit = () => this.persistNow();
    proc.on('beforeExit', onBeforeExit);
    proc.on('exit', onExit);
    this.cleanups.push(() => {
      proc.removeListener('beforeExit', onBeforeExit);
      proc.removeListener('exit', onExit);
    });
  }

  /** A rate-limited log of an uncaught error. */
  captureError(error: unknown, params: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.capturedWindowStart > 60_000) {
      this.capturedWindowStart = now;
      this.capturedInWindow = 0;
    }
    if (++this.capturedInWindow > MAX_CAPTURED_PER_MINUTE) {
      this.warnOnce('captured-flood', `trail-logger: more than ${MAX_CAPTURED_PER_MINUTE} uncaught errors in a minute; the rest of the minute's are not logged`);
      return;
    }
    let message: string;
    let stack: string | undefined;
    if (error instanceof Error || (error && typeof error === 'object' && 'message' in error)) {
      const e = error as { message?: unknown; stack?: unknown; name?: unknown };
      message = String(e.message ?? '') || String(error);
      stack = typeof e.stack === 'string' ? e.stack : undefined;
    } else {
      message = typeof error === 'string' ? error : safeStringify(error);
    }
    this.accept({ level: 'error', type: 'error', message, params, stackTrace: stack });
  }

  private installErrorCapture(browser: boolean): void {
    if (browser) {
      const win = globalThis as unknown as Window;
      const onError = (ev: ErrorEvent) => {
        try {
          const params: Record<string, unknown> = { kind: 'uncaught' };
          if (ev.filename) params.filename = ev.filename;
          if (ev.lineno) params.line = ev.lineno;
          if (ev.colno) params.column = ev.colno;
          try {
            params.url = String(win.location?.href ?? '');
          } catch {
            // No location.
          }
          if (ev.error != null) this.captureError(ev.error, params);
          else {
            const where = ev.filename ? `\n    at ${ev.filename}:${ev.lineno ?? 0}:${ev.colno ?? 0}` : '';
            this.accept({
              level: 'error',
              type: 'error',
              message: ev.message || 'Script error.',
              params,
              stackTrace: where ? `${ev.message || 'Error'}${where}` : undefined,
            });
          }
        } catch {
          // Never throw from the error handler.
        }
      };
      const onRejection = (ev: PromiseRejectionEvent) => {
        try {
          const params: Record<string, unknown> = { kind: 'unhandledrejection' };
          try {
            params.url = String(win.location?.href ?? '');
          } catch {
            // No location.
          }
          this.captureError(ev.reason, params);
        } catch {
          // Never throw from the error handler.
        }
      };
      win.addEventListener('error', onError);
      win.addEventListener('unhandledrejection', onRejection);
      this.cleanups.push(() => {
        win.removeEventListener('error', onError);
        win.removeEventListener('unhandledrejection', onRejection);
      });
      return;
    }
    const proc = nodeProcess();
    if (!proc) return;
    // Node.js: log, flush, then end the process as Node.js would have (exit code 1
    // with the error printed) unless someone else also listens and decides.
    const finish = (event: string, error: unknown) => {
      const alone = proc.listenerCount(event) <= 1;
      void this.flush(2000).then(() => {
        if (!alone) return;
        try {
          console.error(error);
        } finally {
          proc.exit(1);
        }
      });
    };
    const onException = (...args: unknown[]) => {
      this.captureError(args[0], { kind: 'uncaughtException' });
      finish('uncaughtException', args[0]);
    };
    const onRejection = (...args: unknown[]) => {
      this.captureError(args[0], { kind: 'unhandledRejection' });
      finish('unhandledRejection', args[0]);
    };
    proc.on('uncaughtException', onException);
    proc.on('unhandledRejection', onRejection);
    this.cleanups.push(() => {
      proc.removeListener('uncaughtException', onException);
      proc.removeListener('unhandledRejection', onRejection);
    });
  }
}

function safeStringify(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s;
  } catch {
    return String(v);
  }
}
