/** Time and timers, injectable (tests pass a virtual clock) and polite to Node.js processes. */

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Node.js timers can be told whether they keep the process alive; other runtimes' cannot (and need not). */
function setHeld(handle: unknown, held: boolean): void {
  const t = handle as { ref?: () => void; unref?: () => void } | undefined;
  const f = held ? t?.ref : t?.unref;
  if (typeof f === 'function') f.call(t);
}

/**
 * One named timer: at most one pending call of `fn`. It does not keep a
 * Node.js process alive unless held (someone awaits a flush).
 */
export class TimerSlot {
  private handle: unknown;
  private dueAt = 0;
  private held = false;

  constructor(
    private readonly clock: Clock,
    private readonly fn: () => void,
  ) {}

  get pending(): boolean {
    return this.handle !== undefined;
  }

  /** Milliseconds until it fires (0 when not pending). */
  get remaining(): number {
    return this.pending ? Math.max(0, this.dueAt - this.clock.now()) : 0;
  }

  /** Starts it (again), `ms` from now. */
  start(ms: number): void {
    this.cancel();
    const delay = Math.max(0, ms);
    this.dueAt = this.clock.now() + delay;
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      this.fn();
    }, delay);
    setHeld(this.handle, this.held);
  }

  cancel(): void {
    if (this.handle === undefined) return;
    this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }

  hold(held: boolean): void {
    this.held = held;
    if (this.handle !== undefined) setHeld(this.handle, held);
  }
}

/** Resolves after `ms` (a wait that never keeps a Node.js process alive by itself). */
export function delay(clock: Clock, ms: number): { promise: Promise<void>; cancel: () => void } {
  let slot: TimerSlot | undefined;
  const promise = new Promise<void>((resolve) => {
    slot = new TimerSlot(clock, resolve);
    slot.start(ms);
  });
  return { promise, cancel: () => slot?.cancel() };
}
