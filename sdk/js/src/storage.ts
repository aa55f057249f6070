import type { StorageLike } from './types.js';

/** Storage that lives as long as the process (Node.js, or when the browser's is unavailable). */
export class MemoryStorage implements StorageLike {
  private readonly items = new Map<string, string>();

  getItem(key: string): string | null {
    return this.items.has(key) ? this.items.get(key)! : null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  key(index: number): string | null {
    return Array.from(this.items.keys())[index] ?? null;
  }
  get length(): number {
    return this.items.size;
  }
}

export function isBrowser(): boolean {
  const g = globalThis as { window?: unknown; document?: unknown };
  return typeof g.window === 'object' && g.window !== null && typeof g.document === 'object';
}

/**
 * `localStorage` or `sessionStorage` when the page may use it (it throws in
 * sandboxed frames and with storage blocked, and may be full or read-only).
 */
export function browserStorage(which: 'localStorage' | 'sessionStorage'): StorageLike | undefined {
  if (!isBrowser()) return undefined;
  try {
    const s = (globalThis as unknown as Record<string, StorageLike | undefined>)[which];
    if (!s) return undefined;
    const probe = '__trail_logger_probe__';
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch {
    return undefined;
  }
}

/** The keys of a storage that start with `prefix` (none when the storage cannot list its keys). */
export function keysWithPrefix(storage: StorageLike, prefix: string): string[] {
  const out: string[] = [];
  try {
    if (typeof storage.key !== 'function' || typeof storage.length !== 'number') return out;
    for (let i = 0; i < storage.length; i++) {
      const k = storage.key(i);
      if (k !== null && k.startsWith(prefix)) out.push(k);
    }
  } catch {
    // A storage that cannot be listed has nothing to take over.
  }
  return out;
}

/** Storage may throw (blocked, full, sandboxed, read-only): reading then finds nothing. */
export function readItem(storage: StorageLike, key: string): string | null {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

/** Writes, answering whether it worked. */
export function writeItem(storage: StorageLike, key: string, value: string): boolean {
  try {
    storage.setItem(key, value);
    return true;
  } catch {
    return false;
  }
}

export function removeItem(storage: StorageLike, key: string): void {
  try {
    storage.removeItem(key);
  } catch {
    // Left as it was.
  }
}
