/**
 * Sending the queue: batches, the flush timer, retries with backoff, acting
 * on the server's answers, flush() waiters, and the keepalive send when a page
 * is hidden. One request at a time (keepalive requests aside).
 */

import { judge, type DropReason, type Verdict } from './answers.js';
import { type Clock, TimerSlot } from './clock.js';
import type { Entry, EventQueue } from './queue.js';
import type { Sessions } from './session.js';
import { safeParse } from './text.js';
import { isStored, type Transport } from './transport.js';
import type { LoggerStats } from './types.js';
import type { Warnings } from './warnings.js';

/** The most events the server takes in one request (`--max-batch-events`). */
export const MAX_REQUEST_EVENTS = 1000;
/** Bodies of normal requests stay under this (the server takes 10 MiB). */
const MAX_REQUEST_BYTES = 1024 * 1024;
/** Browsers allow at most 64 KiB of keepalive bodies in flight per page. */
const KEEPALIVE_BUDGET = 60 * 1024;
/** After a 401/403, the next try (a key can be fixed on the server). */
const REFUSED_RETRY_MS = 5 * 60 * 1000;
/** A send waits for a session being started at most until this long after the start began. */
const SESSION_WAIT_MS = 500;
/** The longest `Retry-After` honoured. */
const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

const DROP_WARNINGS: Record<DropReason, string> = {
  invalid: 'the server refused an event as invalid and it was dropped',
  conflict: 'the server already stored event ids with other content; those events were dropped',
  tooLarge: 'an event is too large for the server even alone; dropped',
};

export interface DeliveryOptions {
  queue: EventQueue;
  transport: Transport;
  sessions: Sessions;
  clock: Clock;
  random: () => number;
  warnings: Warnings;
  counters: LoggerStats;
  batchSize: number;
  flushIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Before each send (refreshes the settings, drops what they disable). */
  beforeSend: () => void;
  /** The queue changed: to be written to storage. */
  changed: () => void;
}

interface Waiter {
  target: number;
  resolve: (ok: boolean) => void;
}

export class Delivery {
  private sending = false;
  private closed = false;
  /** The key was refused (401/403): nothing is sent until the next try. */
  private refused = false;
  private attempt = 0;
  private perRequest: number;
  private waiters: Waiter[] = [];
  private readonly inKeepalive = new Set<string>();
  /** Bytes of keepalive bodies in flight (the browser's budget is per page, for all of them). */
  private keepaliveBytes = 0;
  private droppedWhileFull = 0;
  private readonly flushSlot: TimerSlot;
  private readonly retrySlot: TimerSlot;
  private readonly refusedSlot: TimerSlot;

  constructor(private readonly o: DeliveryOptions) {
    this.perRequest = o.batchSize;
    this.flushSlot = new TimerSlot(o.clock, () => void this.pump());
    this.retrySlot = new TimerSlot(o.clock, () => void this.pump());
    this.refusedSlot = new TimerSlot(o.clock, () => {
      this.refused = false;
      void this.pump();
    });
  }

  /** The delay before the next retry (0 when none is pending). */
  get nextRetryInMs(): number {
    return this.retrySlot.remaining;
  }

  get keyRefused(): boolean {
    return this.refused;
  }

  /** Events were queued: a full batch goes now, others when the oldest's flush interval has passed. */
  queued(): void {
    if (this.o.queue.length >= this.o.batchSize) void Promise.resolve().then(() => this.pump());
    else this.armFlush();
  }

  /** The oldest events were dropped to keep within the queue's bounds. */
  overflowed(count: number, why: string): void {
    this.o.counters.dropped.queueFull += count;
    if (this.droppedWhileFull === 0) this.o.warnings.say(`trail-logger: ${why}; dropping the oldest`);
    this.droppedWhileFull += count;
  }

  /** The network is back (a browser's `online`): a pending retry goes now. */
  retryNow(): void {
    if (!this.retrySlot.pending) return;
    this.retrySlot.cancel();
    void this.pump();
  }

  /**
   * Resolves `true` once everything queued now is acknowledged or refused for
   * good, `false` when the key is refused or `timeoutMs` passes first.
   */
  flush(timeoutMs?: number): Promise<boolean> {
    const target = this.o.queue.lastSeq;
    if (!this.o.queue.holdsUpTo(target)) return Promise.resolve(true);
    if (this.refused || this.closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const limit = new TimerSlot(this.o.clock, () => this.unwait(waiter, false));
      const waiter: Waiter = {
        target,
        resolve: (ok) => {
          limit.cancel();
          resolve(ok);
        },
      };
      this.waiters.push(waiter);
      this.holdProcess();
      if (timeoutMs !== undefined && timeoutMs >= 0) {
        limit.hold(true);
        limit.start(timeoutMs);
      }
      void this.pump();
    });
  }

  /** Resolves the flush() waiters whose events are all gone (or that cannot succeed now). */
  settle(): void {
    for (const w of [...this.waiters]) {
      if (!this.o.queue.holdsUpTo(w.target)) this.unwait(w, true);
      else if (this.refused || this.closed) this.unwait(w, false);
    }
  }

  /**
   * The page is being hidden, maybe for good: one keepalive request (which
   * outlives the page) with as much of the queue as fits the browser's 64 KiB
   * for such requests. The rest stays stored for the next page.
   */
  sendOnHide(): void {
    if (this.closed || this.refused) return;
    const chunk = this.o.queue.take(MAX_REQUEST_EVENTS, KEEPALIVE_BUDGET - this.keepaliveBytes, {
      skip: (e) => this.inKeepalive.has(e.event.id),
      strict: true,
    });
    if (chunk.length === 0) return;
    const json = chunk.map((e) => e.json!);
    const bytes = chunk.reduce((n, e) => n + e.bytes + 1, 2);
    this.keepaliveBytes += bytes;
    for (const e of chunk) this.inKeepalive.add(e.event.id);
    void this.o.transport.postEvents(json, true).then((outcome) => {
      this.keepaliveBytes -= bytes;
      for (const e of chunk) this.inKeepalive.delete(e.event.id);
      // The page lived on (a hidden tab): the answer counts like any other.
      if (isStored(outcome) && !this.closed) this.stored(chunk, outcome.text);
    }).catch(() => undefined);
  }

  /** Stops sending; waiters get whether the queue is empty. */
  close(): void {
    this.closed = true;
    for (const slot of [this.flushSlot, this.retrySlot, this.refusedSlot]) slot.cancel();
    this.settle();
  }

  /** Due: a full batch, someone waiting, or the oldest event's flush interval has passed. */
  private due(): boolean {
    const oldest = this.o.queue.oldest;
    if (!oldest) return false;
    return this.o.queue.length >= this.o.batchSize || this.waiters.length > 0 || this.o.clock.now() >= oldest.at + this.o.flushIntervalMs;
  }

  /** The flush timer runs from the oldest queued event: sends in between do not move it. */
  private armFlush(): void {
    const oldest = this.o.queue.oldest;
    if (!oldest || this.flushSlot.pending || this.closed) return;
    this.flushSlot.start(oldest.at + this.o.flushIntervalMs - this.o.clock.now());
  }

  /** Sends batches while they are due; never rejects (a bug here must not become an "uncaught error" to log). */
  private async pump(): Promise<void> {
    if (this.sending || this.closed || this.refused || this.retrySlot.pending) return;
    this.sending = true;
    this.flushSlot.cancel();
    try {
      while (this.due()) {
        this.o.beforeSend();
        await this.o.sessions.ready(SESSION_WAIT_MS);
        if (!this.due() || !(await this.sendBatch())) break;
      }
    } catch (e) {
      this.o.warnings.once('internal', `trail-logger: internal error while sending: ${String(e)}; trying again later`);
      this.retryAfterBug();
    } finally {
      this.sending = false;
    }
    this.settle();
    if (!this.retrySlot.pending && !this.refused) this.armFlush();
  }

  /** Sends one batch and acts on the answer; false when sending stops for now. */
  private async sendBatch(): Promise<boolean> {
    const batch = this.o.queue.take(this.perRequest, MAX_REQUEST_BYTES);
    const outcome = await this.o.transport.postEvents(batch.map((e) => e.json!));
    if (this.closed) return false;
    return this.act(batch, judge(batch, outcome));
  }

  private act(batch: Entry[], verdict: Verdict): boolean {
    switch (verdict.kind) {
      case 'stored':
        this.stored(batch, verdict.text);
        return true;
      case 'drop':
        this.drop(verdict);
        return true;
      case 'split':
        this.perRequest = Math.max(1, Math.floor(batch.length / 2));
        return true;
      case 'refused':
        this.refuse(verdict.detail);
        return false;
      case 'retry':
        if (verdict.warning) this.o.warnings.once(verdict.warning.kind, verdict.warning.message);
        this.backoff(verdict.retryAfterMs);
        return false;
    }
  }

  private stored(batch: Entry[], text: string): void {
    // Counted once, also when a keepalive request and a normal one both carried an event.
    const removed = this.o.queue.remove(new Set(batch.map((e) => e.event.id)));
    const answer = safeParse(text) as { dropped?: unknown } | undefined;
    const disabled = Math.min(removed, Array.isArray(answer?.dropped) ? answer!.dropped.length : 0);
    this.o.counters.dropped.disabled += disabled;
    this.o.counters.acknowledged += removed - disabled;
    this.attempt = 0;
    this.perRequest = Math.min(this.o.batchSize, this.perRequest * 2);
    if (this.droppedWhileFull > 0) {
      this.o.warnings.say(`trail-logger: the server is reachable again; ${this.droppedWhileFull} events were dropped while the queue was full`);
      this.droppedWhileFull = 0;
    }
    this.o.changed();
    this.settle();
  }

  private drop(verdict: Verdict & { kind: 'drop' }): void {
    for (const e of verdict.unknownSession) {
      const session = e.event.session_id!;
      this.o.queue.dropSession(e);
      this.o.sessions.forget(session);
    }
    const gone = this.o.queue.remove(verdict.ids);
    this.o.counters.dropped[verdict.reason] += gone;
    if (gone > 0) this.o.warnings.once(verdict.reason, `trail-logger: ${DROP_WARNINGS[verdict.reason]} (${verdict.detail})`);
    this.o.changed();
  }

  private refuse(detail: string): void {
    this.refused = true;
    this.o.warnings.say(`trail-logger: the server refused the key (${detail}); sending stops, the ${this.o.queue.length} queued events are kept`);
    this.refusedSlot.start(REFUSED_RETRY_MS);
    this.o.changed();
    this.settle();
  }

  /** Exponential backoff with full jitter, waiting at least the server's Retry-After. */
  private backoff(retryAfterMs: number | undefined): void {
    this.attempt++;
    this.o.counters.retries++;
    const cap = Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** Math.min(this.attempt - 1, 30));
    let wait = this.o.random() * cap;
    if (retryAfterMs !== undefined) wait = Math.max(wait, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
    this.retrySlot.start(wait);
  }

  private retryAfterBug(): void {
    try {
      this.backoff(undefined);
    } catch {
      this.retrySlot.start(this.o.retryMaxMs); // the backoff itself failed (a throwing `random`)
    }
  }

  private unwait(w: Waiter, ok: boolean): void {
    const i = this.waiters.indexOf(w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    this.holdProcess();
    w.resolve(ok);
  }

  /** Node.js: while someone awaits a flush, the pending send or retry keeps the process alive. */
  private holdProcess(): void {
    const held = this.waiters.length > 0;
    for (const slot of [this.flushSlot, this.retrySlot]) slot.hold(held);
  }
}
