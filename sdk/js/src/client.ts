/**
 * TrailClient: one configured connection to a Trail server. It makes events
 * of messages and hands them to the parts that do the work: the queue
 * (queue.ts) and its copy in storage (persistence.ts); delivery (delivery.ts,
 * answers.ts, transport.ts); the user's session and logging settings
 * (session.ts, settings.ts); the runtime's hooks (environment.ts, capture.ts).
 */

import { captureBrowserErrors, captureNodeCrashes, CRASH_FLUSH_MS, errorMessage, RATE_LIMIT_WARNING, RateLimit } from './capture.js';
import { type Config, configOf } from './config.js';
import { Delivery } from './delivery.js';
import { type Cleanup, pageVisible, watchPage, watchProcess } from './environment.js';
import { actorOf, messageToEvent } from './mapping.js';
import { QueueStore } from './persistence.js';
import { EventQueue } from './queue.js';
import { Sessions, type SessionUser } from './session.js';
import { Settings } from './settings.js';
import { Transport } from './transport.js';
import type { EffectiveSettings, LoggerCallback, LoggerStats, LogMessage, TrailEvent, TrailOptions, UserInfo } from './types.js';
import { UuidV7 } from './uuid.js';
import { Warnings } from './warnings.js';

/** When the event loop runs dry in Node.js, how long the queue may still be sent for. */
const EXIT_FLUSH_MS = 5000;

export class TrailClient {
  readonly url: string;
  private readonly config: Config;
  private readonly warnings: Warnings;
  private readonly uuid = new UuidV7();
  private readonly queue: EventQueue;
  private readonly store: QueueStore | undefined;
  private readonly sessions: Sessions;
  private readonly settings: Settings;
  private readonly delivery: Delivery;
  private readonly captured: RateLimit;
  private readonly cleanups: Cleanup[] = [];
  private readonly counters: LoggerStats = {
    queued: 0,
    acknowledged: 0,
    retries: 0,
    dropped: { queueFull: 0, invalid: 0, conflict: 0, disabled: 0, tooLarge: 0 },
  };
  private actor: TrailEvent['actor'];
  private closed = false;
  private exitFlushed = false;

  constructor(options: TrailOptions & { onMessage?: LoggerCallback }) {
    const c = (this.config = configOf(options));
    this.url = c.url;
    this.warnings = new Warnings(c.warn);
    this.captured = new RateLimit(() => c.clock.now());
    const transport = new Transport(c.url, c.key, c.fetch, c.requestTimeoutMs, c.clock);
    const bounds = { maxEvents: c.maxQueue, maxBytes: c.storage ? c.maxStoredBytes : undefined };
    this.queue = new EventQueue(bounds, (n, bound) => this.delivery.overflowed(n, this.overflowWhy(bound)));
    const keep = { prefix: c.prefix, url: c.url, clock: c.clock, warnings: this.warnings, visible: pageVisible };
    this.store = c.storage && new QueueStore({ ...keep, storage: c.storage, snapshot: () => this.queue.sealAll() });
    const common = { transport, clock: c.clock, warnings: this.warnings };
    this.sessions = new Sessions({ ...common, store: c.sessionStorage, prefix: c.prefix, clientName: c.clientName, enabled: c.startSession });
    this.settings = new Settings({ ...common, retryMs: c.settingsRetryMs, visible: pageVisible, changed: () => this.dropDisabled() });
    this.delivery = new Delivery({
      ...common,
      queue: this.queue,
      sessions: this.sessions,
      random: c.random,
      counters: this.counters,
      batchSize: c.batchSize,
      flushIntervalMs: c.flushIntervalMs,
      retryBaseMs: c.retryBaseMs,
      retryMaxMs: c.retryMaxMs,
      beforeSend: () => {
        this.settings.refreshIfDue();
        this.dropDisabled();
      },
      changed: () => this.store?.changed(),
    });
    this.adoptOrphans();
    this.setUser(options.user);
    this.installHooks();
  }

  /** Takes a message (after the Logger's callback) and queues its event. */
  accept(m: LogMessage): void {
    if (this.closed) {
      this.warnings.once('closed', 'trail-logger: a message was logged after shutdown(); it is not sent');
      return;
    }
    this.runOnMessage(m);
    const session = this.actor ? this.sessions.link() : {};
    const event = messageToEvent(m, {
      id: this.uuid.next(),
      now: new Date(this.config.clock.now()),
      sessionId: session.id,
      actor: this.actor,
      package: this.config.packageName,
      warn: (kind, message, detail) => this.warnings.once(`map:${kind}`, `trail-logger: ${message}`, detail),
    });
    if (!this.settings.allows(event.actor?.id, event.type, event.level)) {
      this.counters.dropped.disabled++;
      return;
    }
    // Without the session's id yet (it is being started), the event gets it if it is known by its first send.
    this.queue.add(event, this.config.clock.now(), session.pending);
    this.store?.changed();
    this.delivery.queued();
  }

  /** A rate-limited log of an uncaught error; never throws (it runs in error handlers). */
  captureError(error: unknown, params: Record<string, unknown> = {}, fallbackStack?: string): void {
    try {
      if (this.captured.take()) this.accept(errorMessage(error, params, fallbackStack));
      else this.warnings.once('captured-flood', RATE_LIMIT_WARNING);
    } catch {
      // Ignored.
    }
  }

  /** Sets (or with `null` clears) the signed-in person; a new person starts a new session. */
  setUser(user: UserInfo | null | undefined): void {
    const given = user == null || user === '' || (typeof user === 'object' && !user.id) ? undefined : user;
    const actor = given ? actorOf(given) : undefined;
    if (actor && !actor.id) throw new TypeError('trail-logger: `user` needs a login (`id`)');
    this.actor = actor;
    const person: SessionUser | undefined = actor && { id: actor.id };
    if (actor?.name) person!.name = actor.name;
    if (actor?.email) person!.email = actor.email;
    this.sessions.setUser(person);
    this.settings.setUser(this.config.settings ? actor?.id : undefined);
  }

  /** Ends the current user session on the server (e.g. at sign-out). */
  endSession(): Promise<void> {
    return this.sessions.end();
  }

  /** The effective logging settings last received (undefined: none, everything is sent). */
  get effectiveSettings(): EffectiveSettings | undefined {
    return this.settings.effective;
  }

  /** The user session's id, once known. */
  get session(): string | undefined {
    return this.sessions.current;
  }

  /** The delay before the next retry (for tests and diagnostics); 0 when none is pending. */
  get nextRetryInMs(): number {
    return this.delivery.nextRetryInMs;
  }

  stats(): LoggerStats {
    return { ...this.counters, queued: this.queue.length, dropped: { ...this.counters.dropped } };
  }

  /**
   * Sends everything queued now. Resolves `true` once all of it was
   * acknowledged or refused for good by the server, `false` when the key is
   * refused or `timeoutMs` passed first (the events stay queued).
   */
  flush(timeoutMs?: number): Promise<boolean> {
    return this.delivery.flush(timeoutMs);
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
    if (!this.closed) {
      this.closed = true;
      this.delivery.close();
      this.settings.close();
      this.store?.close(handOver);
      for (const off of this.cleanups.splice(0)) off();
    }
    return this.queue.all.map((e) => e.event);
  }

  /** Takes over events of a previous configuration or page (same server): sent as they are. */
  adopt(events: TrailEvent[]): void {
    // Logged earlier: due at once.
    this.queue.addSealed(events, 0);
    this.store?.changed();
    this.delivery.queued();
  }

  /**
   * The page is being hidden (maybe for good): the queue is written first, then
   * sent with a keepalive request, which outlives the page.
   */
  onPageHide(): void {
    if (this.closed) return;
    this.store?.writeNow();
    this.delivery.sendOnHide();
  }

  private overflowWhy(bound: 'events' | 'bytes'): string {
    const c = this.config;
    const limit = bound === 'events' ? `${c.maxQueue} events` : `${c.maxStoredBytes} bytes, the most kept in storage`;
    return `the queue is full (${limit}: the server cannot be reached)`;
  }

  private runOnMessage(m: LogMessage): void {
    if (!this.config.onMessage) return;
    try {
      this.config.onMessage(m);
    } catch (e) {
      this.warnings.once('onMessage', `trail-logger: the onMessage callback threw: ${String(e)}`);
    }
    if (m.params == null || typeof m.params !== 'object') m.params = {};
  }

  /** Drops queued events the settings now keep out (the server would drop them too). */
  private dropDisabled(): void {
    const gone = this.queue.removeWhere((e) => !this.settings.allows(e.event.actor?.id, e.event.type, e.event.level));
    if (gone === 0) return;
    this.counters.dropped.disabled += gone;
    this.store?.changed();
    this.delivery.settle();
  }

  /** Queues that gone pages of this origin left for this server. */
  private adoptOrphans(): void {
    const events = this.store?.adoptOrphans() ?? [];
    if (events.length === 0) return;
    this.adopt(events);
    // They are only here now: written under this client's key at once.
    this.store!.writeNow();
  }

  private installHooks(): void {
    const c = this.config;
    if (c.captureErrors) {
      this.cleanups.push(c.browser
        ? captureBrowserErrors((error, params, stack) => this.captureError(error, params, stack))
        : captureNodeCrashes((error, kind) => {
            this.captureError(error, { kind });
            return this.flush(CRASH_FLUSH_MS);
          }));
    }
    this.cleanups.push(c.browser
      ? watchPage({
          hidden: () => {
            this.onPageHide();
            this.store?.alive(); // marked hidden: other tabs trust its heartbeat longer
          },
          left: () => this.store?.gone(),
          shown: () => this.store?.alive(),
          restored: () => this.store?.back(),
          online: () => this.delivery.retryNow(),
        })
      : watchProcess({
          beforeExit: () => this.beforeExit(),
          // A given storage (a file, say) gets the queue as it is at the very end, free for the next run to take.
          exit: () => this.detach(),
        }));
  }

  /** Node.js: what is queued when the event loop runs dry is sent before the process exits. */
  private beforeExit(): void {
    if (this.closed || this.queue.length === 0 || this.delivery.keyRefused || this.exitFlushed) return;
    this.exitFlushed = true;
    void this.flush(EXIT_FLUSH_MS);
  }
}
