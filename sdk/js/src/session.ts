/**
 * The user session: restored from session storage (a reload stays in it) or
 * started with `POST /api/v1/sessions`. Events logged while it starts wait
 * for its id only briefly (see `ready`); those sent without one are joined by
 * the server to the person's open session.
 */

import { type Clock, delay } from './clock.js';
import type { PendingSession } from './queue.js';
import { readItem, removeItem, writeItem } from './storage.js';
import { safeParse } from './text.js';
import { describe, isStored, type Transport } from './transport.js';
import type { StorageLike } from './types.js';
import type { Warnings } from './warnings.js';

export interface SessionUser {
  id: string;
  name?: string;
  email?: string;
}

/** After a failed start, the next try (made when a later event is logged). */
const RESTART_MS = 30_000;

class Start implements PendingSession {
  id: string | undefined;
  done: Promise<void> = Promise.resolve();
  constructor(readonly began: number) {}
}

export interface SessionOptions {
  transport: Transport;
  store: StorageLike;
  prefix: string;
  clientName: string;
  /** Start sessions (otherwise only stored ones are used). */
  enabled: boolean;
  clock: Clock;
  warnings: Warnings;
}

export class Sessions {
  private user: SessionUser | undefined;
  private id: string | undefined;
  private starting: Start | undefined;
  private lastTry = -Infinity;

  constructor(private readonly o: SessionOptions) {}

  /** The session's id, once known. */
  get current(): string | undefined {
    return this.id;
  }

  /** A new person gets their stored session or a new one; the same person keeps theirs. */
  setUser(user: SessionUser | undefined): void {
    if (user?.id === this.user?.id) {
      this.user = user;
      return;
    }
    this.user = user;
    this.id = undefined;
    this.starting = undefined;
    this.lastTry = -Infinity;
    if (!user) return;
    this.id = this.restore(user.id);
    this.startIfDue();
  }

  /** What an event of the current user logged now gets: the session's id, or the start it waits for. */
  link(): { id?: string; pending?: PendingSession } {
    if (this.id) return { id: this.id };
    this.startIfDue(); // it failed (or was forgotten): tried again now that an event needs it
    return this.starting ? { pending: this.starting } : {};
  }

  /** Before a send: waits for a session being started, until at most `maxWaitMs` after the start began. */
  async ready(maxWaitMs: number): Promise<void> {
    const s = this.starting;
    const left = s ? s.began + maxWaitMs - this.o.clock.now() : 0;
    if (!s || left <= 0) return;
    const wait = delay(this.o.clock, left);
    await Promise.race([s.done, wait.promise]);
    wait.cancel();
  }

  /** The server does not know this session (a new database): forget it; a later event starts a new one. */
  forget(id: string): void {
    if (this.id !== id) return;
    this.id = undefined;
    this.lastTry = -Infinity;
    this.unstore();
  }

  /** Ends the session on the server (at sign-out). */
  async end(): Promise<void> {
    const id = this.id;
    if (!id || !this.user) return;
    this.id = undefined;
    this.unstore();
    await this.o.transport.request(`/api/v1/sessions/${encodeURIComponent(id)}/end`, 'POST', '{}');
  }

  private key(login: string): string {
    return `${this.o.prefix}:session:${this.o.transport.url}:${login}`;
  }

  private restore(login: string): string | undefined {
    const stored = readItem(this.o.store, this.key(login));
    return stored && /^[0-9a-f-]{36}$/i.test(stored) ? stored : undefined;
  }

  private unstore(): void {
    if (this.user) removeItem(this.o.store, this.key(this.user.id));
  }

  private startIfDue(): void {
    const user = this.user;
    if (!user || this.id || this.starting || !this.o.enabled || this.o.clock.now() - this.lastTry < RESTART_MS) return;
    const s = new Start(this.o.clock.now());
    this.lastTry = s.began;
    this.starting = s;
    s.done = this.create(user).then((id) => {
      s.id = id;
      if (this.starting !== s) return; // another person meanwhile
      this.starting = undefined;
      this.id = id;
      // Kept in memory only when it cannot be stored.
      if (id) writeItem(this.o.store, this.key(user.id), id);
    });
  }

  private async create(user: SessionUser): Promise<string | undefined> {
    const body = { user: { ...user }, client: this.o.clientName };
    const outcome = await this.o.transport.request('/api/v1/sessions', 'POST', JSON.stringify(body));
    const answer = isStored(outcome) ? (safeParse(outcome.text) as { id?: unknown } | undefined) : undefined;
    if (answer && typeof answer.id === 'string') return answer.id;
    this.o.warnings.once(
      'session',
      `trail-logger: could not start a session (${describe(outcome)}); events are sent without one and the server joins them to the person's open session`,
    );
    return undefined;
  }
}
