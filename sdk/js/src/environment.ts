/** The runtime's hooks: a page's lifecycle in browsers, the process's in Node.js. */

export type Cleanup = () => void;

interface NodeProcess {
  on(event: string, fn: (...args: unknown[]) => void): void;
  removeListener(event: string, fn: (...args: unknown[]) => void): void;
  listenerCount(event: string): number;
  exit(code?: number): never;
}

/** Node.js's `process`, or undefined elsewhere. */
export function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return p?.versions?.node ? (p as unknown as NodeProcess) : undefined;
}

/** Whether the page is visible (always, outside browsers). */
export function pageVisible(): boolean {
  const doc = (globalThis as { document?: { visibilityState?: string } }).document;
  return doc?.visibilityState !== 'hidden';
}

/** The page's address, for error reports. */
export function pageUrl(): string | undefined {
  try {
    const href = (globalThis as { location?: { href?: unknown } }).location?.href;
    return href === undefined ? undefined : String(href);
  } catch {
    return undefined;
  }
}

/** Adds listeners to a browser target, giving back their removal. */
export function listen(target: EventTarget, handlers: Record<string, (ev: Event) => void>): Cleanup {
  for (const [name, fn] of Object.entries(handlers)) target.addEventListener(name, fn);
  return () => {
    for (const [name, fn] of Object.entries(handlers)) target.removeEventListener(name, fn);
  };
}

export interface PageHooks {
  /** Hidden (another tab, minimized): write the queue, send what fits with keepalive. */
  hidden(): void;
  /** Left (navigated away, closed, or into the back/forward cache). */
  left(): void;
  /** Visible again (after being hidden). */
  shown(): void;
  /** Restored from the back/forward cache. */
  restored(): void;
  /** The network is back. */
  online(): void;
}

export function watchPage(hooks: PageHooks): Cleanup {
  const doc = (globalThis as unknown as { document: Document }).document;
  const win = globalThis as unknown as Window;
  const offDoc = listen(doc, {
    visibilitychange: () => (doc.visibilityState === 'hidden' ? hooks.hidden() : hooks.shown()),
  });
  const offWin = listen(win, {
    pagehide: () => {
      hooks.hidden();
      hooks.left();
    },
    pageshow: (ev) => {
      if ((ev as PageTransitionEvent).persisted) hooks.restored();
    },
    online: () => hooks.online(),
  });
  return () => {
    offDoc();
    offWin();
  };
}

/**
 * One listener per process event, however many clients there are: it calls
 * every registered handler, then `after` with what they returned. Removed
 * with the last handler, so clients made and shut down leave nothing behind.
 */
export class SharedProcessListener<R> {
  private readonly handlers = new Set<(arg: unknown) => R>();
  private installed: ((arg: unknown) => void) | undefined;

  constructor(
    private readonly event: string,
    private readonly after?: (results: R[], arg: unknown, alone: boolean) => void,
  ) {}

  add(handler: (arg: unknown) => R): Cleanup {
    const proc = nodeProcess();
    if (!proc) return () => undefined;
    this.handlers.add(handler);
    if (!this.installed) {
      this.installed = (arg) => this.dispatch(proc, arg);
      proc.on(this.event, this.installed);
    }
    return () => {
      this.handlers.delete(handler);
      if (this.handlers.size > 0 || !this.installed) return;
      proc.removeListener(this.event, this.installed);
      this.installed = undefined;
    };
  }

  private dispatch(proc: NodeProcess, arg: unknown): void {
    // Whether anyone else listens, asked before the handlers run.
    const alone = proc.listenerCount(this.event) <= 1;
    const results: R[] = [];
    for (const h of [...this.handlers]) {
      try {
        results.push(h(arg));
      } catch {
        // One client's failure must not keep the others from their part.
      }
    }
    this.after?.(results, arg, alone);
  }
}

const beforeExit = new SharedProcessListener<void>('beforeExit');
const exit = new SharedProcessListener<void>('exit');

export interface ProcessHooks {
  /** The event loop ran dry: what is queued may be sent now (the process lives on while it is). */
  beforeExit(): void;
  /** The process ends: last chance to write the queue to a given storage. */
  exit(): void;
}

export function watchProcess(hooks: ProcessHooks): Cleanup {
  const offBeforeExit = beforeExit.add(() => hooks.beforeExit());
  const offExit = exit.add(() => hooks.exit());
  return () => {
    offBeforeExit();
    offExit();
  };
}
