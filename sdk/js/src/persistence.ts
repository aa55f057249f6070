/**
 * The queue kept in storage (localStorage in browsers), so that a reload or a
 * closed tab loses nothing: a later page of the origin sends what was left.
 *
 * Each client writes its own key, at most once a second (and at once when the
 * page is hidden). Beside it, a heartbeat key says the owner lives: it is
 * rewritten every few seconds and removed when the page goes away, and only
 * queues whose heartbeat is gone or stale are taken over. A heartbeat rather
 * than Web Locks: it works the same with any storage (Node.js included) and
 * holds nothing for the page's lifetime. Should a live tab's queue be taken
 * over after all (a tab frozen for minutes), both send the same events with
 * the same ids and content: the server stores each once.
 */

import { type Clock, TimerSlot } from './clock.js';
import { keysWithPrefix, readItem, removeItem, writeItem } from './storage.js';
import { safeParse } from './text.js';
import type { StorageLike, TrailEvent } from './types.js';
import { randomHex } from './uuid.js';
import type { Warnings } from './warnings.js';

const WRITE_EVERY_MS = 1000;
const BEAT_EVERY_MS = 5000;
/** A visible owner's heartbeat older than this is gone. */
const STALE_MS = 15_000;
/** Browsers run a hidden tab's timers as rarely as once a minute, so its heartbeat is trusted longer. */
const STALE_HIDDEN_MS = 90_000;

export interface PersistOptions {
  storage: StorageLike;
  prefix: string;
  url: string;
  clock: Clock;
  warnings: Warnings;
  /** The queue's events, sealed, oldest first. */
  snapshot: () => string[];
  /** Whether the page is visible (a hidden one's heartbeat may lag). */
  visible: () => boolean;
}

function isEvent(e: unknown): e is TrailEvent {
  return !!e && typeof e === 'object' && typeof (e as TrailEvent).id === 'string' && typeof (e as TrailEvent).type === 'string';
}

export class QueueStore {
  /** This client's queue key. */
  readonly key: string;
  private readonly beatKey: string | undefined;
  private readonly writeSlot: TimerSlot;
  private readonly beatSlot: TimerSlot;
  /** Whether the key holds a queue (an empty queue is one removal, then no writes). */
  private holds = false;
  private departed = false;

  constructor(private readonly o: PersistOptions) {
    this.writeSlot = new TimerSlot(o.clock, () => this.writeNow());
    this.beatSlot = new TimerSlot(o.clock, () => this.alive());
    // A storage that cannot list its keys has one queue, for one client at a time.
    const listable = typeof o.storage.key === 'function' && typeof o.storage.length === 'number';
    const id = randomHex(8);
    this.key = listable ? `${o.prefix}:queue:${id}` : `${o.prefix}:queue`;
    this.beatKey = listable ? this.beatOf(this.key) : undefined;
    this.alive();
  }

  /** The queue changed: written within a second. */
  changed(): void {
    if (!this.writeSlot.pending) this.writeSlot.start(WRITE_EVERY_MS);
  }

  /** Writes the queue now; when the storage is full, its newest part that fits. */
  writeNow(): void {
    this.writeSlot.cancel();
    const events = this.o.snapshot();
    if (events.length === 0) {
      if (this.holds) removeItem(this.o.storage, this.key);
      this.holds = false;
      return;
    }
    const head = `{"url":${JSON.stringify(this.o.url)},"events":[`;
    for (let keep = events.length; keep > 0; keep = Math.floor(keep / 2)) {
      if (writeItem(this.o.storage, this.key, head + events.slice(events.length - keep).join(',') + ']}')) {
        this.holds = true;
        if (keep < events.length) {
          this.o.warnings.once('persist-full', `trail-logger: storage is full; only the newest ${keep} of ${events.length} queued events are kept across a reload`);
        }
        return;
      }
    }
    this.o.warnings.once('persist', 'trail-logger: the queue cannot be stored; it is kept in memory only');
  }

  /** Takes over (reads and removes) the queues of this server whose owners are gone, oldest event first. */
  adoptOrphans(): TrailEvent[] {
    const keys = new Set(keysWithPrefix(this.o.storage, `${this.o.prefix}:queue:`));
    keys.add(`${this.o.prefix}:queue`);
    if (this.beatKey) keys.delete(this.key);
    const events = new Map<string, TrailEvent>();
    for (const key of keys) {
      if (!this.ownerGone(key)) continue;
      for (const e of this.take(key)) events.set(e.id, e);
    }
    // Oldest first (UUIDv7 ids sort by time).
    return [...events.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Says the owner lives (now, and every few seconds), unless its page has gone. */
  alive(): void {
    const beatKey = this.beatKey;
    if (!beatKey || this.departed) return;
    writeItem(this.o.storage, beatKey, `${this.o.clock.now()}${this.o.visible() ? '' : 'h'}`);
    this.beatSlot.start(BEAT_EVERY_MS);
  }

  /**
   * The page goes away (or into the back/forward cache): its queue may be
   * taken over from now on. (Browsers may still fire `visibilitychange` after
   * `pagehide`: that must not say it lives again.)
   */
  gone(): void {
    this.departed = true;
    this.beatSlot.cancel();
    const beatKey = this.beatKey;
    if (beatKey) removeItem(this.o.storage, beatKey);
  }

  /** The page is back from the back/forward cache. */
  back(): void {
    this.departed = false;
    this.alive();
  }

  /** Stops: writes the queue for a later page, or (`handOver`) removes it for the caller to take. */
  close(handOver: boolean): void {
    if (handOver) {
      this.writeSlot.cancel();
      removeItem(this.o.storage, this.key);
    } else {
      this.writeNow();
    }
    this.gone();
  }

  private beatOf(queueKey: string): string {
    return queueKey.replace(/:queue(:|$)/, ':beat$1');
  }

  private ownerGone(queueKey: string): boolean {
    const beat = readItem(this.o.storage, this.beatOf(queueKey));
    const m = beat ? /^(\d+)(h?)$/.exec(beat) : null;
    if (!m) return true;
    return this.o.clock.now() - Number(m[1]) > (m[2] ? STALE_HIDDEN_MS : STALE_MS);
  }

  /** A gone owner's queue (another server's is left for a page configured for it). */
  private take(key: string): TrailEvent[] {
    const raw = readItem(this.o.storage, key);
    if (!raw) return [];
    const parsed = safeParse(raw) as { url?: unknown; events?: unknown } | undefined;
    if (!parsed || parsed.url !== this.o.url || !Array.isArray(parsed.events)) return [];
    removeItem(this.o.storage, key);
    removeItem(this.o.storage, this.beatOf(key));
    return parsed.events.filter(isEvent);
  }
}
