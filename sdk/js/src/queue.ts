/**
 * The events waiting to be sent, oldest first, bounded by count and bytes.
 *
 * An event is sealed (its JSON fixed) before it is first written to storage
 * or sent, and never changes after: the server stores an id once, and answers
 * 409 to the same id with other content.
 */

import { utf8Length } from './text.js';
import type { TrailEvent } from './types.js';

/** A user session being started; an event logged meanwhile gets its id if it is known when the event is sealed. */
export interface PendingSession {
  readonly id: string | undefined;
}

export interface Entry {
  /** The order of logging: flush() waits for every entry up to a sequence number. */
  readonly seq: number;
  /** When it was queued: a send is due flushIntervalMs after the oldest entry's. */
  readonly at: number;
  readonly event: TrailEvent;
  waitsFor: PendingSession | undefined;
  /** The event as written and sent, once sealed. */
  json: string | undefined;
  /** Its size in bytes (estimated until sealed). */
  bytes: number;
}

/** `,"session_id":"<uuid>"`: what sealing may add to an event. */
const SESSION_FIELD_BYTES = 52;

export interface QueueBounds {
  maxEvents: number;
  /** Only when the queue is kept in storage. */
  maxBytes: number | undefined;
}

export class EventQueue {
  private entries: Entry[] = [];
  private seq = 0;
  private totalBytes = 0;

  constructor(
    private readonly bounds: QueueBounds,
    /** Told how many of the oldest were dropped to stay within the bounds, and which bound. */
    private readonly overflow: (dropped: number, bound: 'events' | 'bytes') => void,
  ) {}

  get length(): number {
    return this.entries.length;
  }

  /** The sequence number of the entry queued last. */
  get lastSeq(): number {
    return this.seq;
  }

  get oldest(): Entry | undefined {
    return this.entries[0];
  }

  get all(): readonly Entry[] {
    return this.entries;
  }

  /** Queues an event; sealed at once unless it waits for a session. */
  add(event: TrailEvent, at: number, waitsFor?: PendingSession): void {
    const json = waitsFor ? undefined : JSON.stringify(event);
    const bytes = json !== undefined ? utf8Length(json) : utf8Length(JSON.stringify(event)) + SESSION_FIELD_BYTES;
    this.entries.push({ seq: ++this.seq, at, event, waitsFor, json, bytes });
    this.totalBytes += bytes;
    this.trim();
  }

  /** Queues events sealed elsewhere (another page's, a previous configuration's), skipping ids already here. */
  addSealed(events: TrailEvent[], at: number): void {
    const known = new Set(this.entries.map((e) => e.event.id));
    for (const event of events) {
      if (known.has(event.id)) continue;
      known.add(event.id);
      this.add(event, at);
    }
  }

  /** Whether any entry up to `seq` is still queued. */
  holdsUpTo(seq: number): boolean {
    const first = this.entries[0];
    return first !== undefined && first.seq <= seq;
  }

  /** Fixes an entry's content; from now on every write and send carries exactly this. */
  seal(e: Entry): string {
    if (e.json !== undefined) return e.json;
    const id = e.waitsFor?.id;
    if (id) e.event.session_id = id;
    e.waitsFor = undefined;
    this.resize(e, JSON.stringify(e.event));
    return e.json!;
  }

  /**
   * The one change after sealing: the server refused the event's session as
   * unknown. It then stored nothing of the request, and no request carrying
   * that session can ever be stored, so no other content exists for this id.
   */
  dropSession(e: Entry): void {
    delete e.event.session_id;
    this.resize(e, JSON.stringify(e.event));
  }

  /**
   * The first entries (sealing them) up to `maxEvents` and `maxBytes` of a
   * JSON array; `skip` passes some over. The first may exceed `maxBytes`
   * unless `strict` (a keepalive request cannot).
   */
  take(maxEvents: number, maxBytes: number, opts: { skip?: (e: Entry) => boolean; strict?: boolean } = {}): Entry[] {
    const batch: Entry[] = [];
    let bytes = 2;
    for (const e of this.entries) {
      if (batch.length >= maxEvents) break;
      if (opts.skip?.(e)) continue;
      this.seal(e);
      if (bytes + e.bytes + 1 > maxBytes && (batch.length > 0 || opts.strict)) break;
      bytes += e.bytes + 1;
      batch.push(e);
    }
    return batch;
  }

  /** Seals every entry and gives their JSON, oldest first. */
  sealAll(): string[] {
    return this.entries.map((e) => this.seal(e));
  }

  remove(ids: Set<string>): number {
    return ids.size === 0 ? 0 : this.removeWhere((e) => ids.has(e.event.id));
  }

  removeWhere(drop: (e: Entry) => boolean): number {
    const kept = this.entries.filter((e) => !drop(e));
    const gone = this.entries.length - kept.length;
    if (gone > 0) {
      this.entries = kept;
      this.totalBytes = kept.reduce((n, e) => n + e.bytes, 0);
    }
    return gone;
  }

  private resize(e: Entry, json: string): void {
    const bytes = utf8Length(json);
    this.totalBytes += bytes - e.bytes;
    e.json = json;
    e.bytes = bytes;
  }

  /** Drops the oldest beyond the bounds (the newest event always stays). */
  private trim(): void {
    this.dropOldestWhile('events', () => this.entries.length > this.bounds.maxEvents);
    this.dropOldestWhile('bytes', () => this.totalBytes > (this.bounds.maxBytes ?? Infinity));
  }

  private dropOldestWhile(bound: 'events' | 'bytes', over: () => boolean): void {
    let dropped = 0;
    while (this.entries.length > 1 && over()) {
      this.totalBytes -= this.entries.shift()!.bytes;
      dropped++;
    }
    if (dropped > 0) this.overflow(dropped, bound);
  }
}
