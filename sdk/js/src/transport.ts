/** Requests to the Trail server: every failure becomes an outcome, never an exception. */

import { type Clock, delay } from './clock.js';
import type { FetchLike, ResponseLike } from './types.js';

export type Outcome =
  | { kind: 'network'; error: unknown }
  | { kind: 'http'; status: number; text: string; retryAfterMs: number | undefined };

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

/** What an outcome says, for warnings. */
export function describe(outcome: Outcome): string {
  return outcome.kind === 'http' ? `${outcome.status} ${outcome.text.slice(0, 200)}` : String(outcome.error);
}

export function isStored(outcome: Outcome): outcome is Extract<Outcome, { kind: 'http' }> & { status: 200 | 201 } {
  return outcome.kind === 'http' && (outcome.status === 200 || outcome.status === 201);
}

/** The server's address without a trailing slash or `/api/v1`. */
export function baseUrl(url: string): string {
  let u = String(url).trim().replace(/\/+$/, '');
  if (u.endsWith('/api/v1')) u = u.slice(0, -'/api/v1'.length);
  return u;
}

export class Transport {
  constructor(
    readonly url: string,
    private readonly key: string,
    private readonly fetchFn: FetchLike,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
  ) {}

  async request(path: string, method: string, body?: string, keepalive = false): Promise<Outcome> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.key}` };
    const init: Parameters<FetchLike>[1] = { method, headers };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = body;
    }
    if (keepalive) init.keepalive = true;
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    if (controller) init.signal = controller.signal;
    // The request's own connection keeps a Node.js process alive; its time limit need not.
    const limit = delay(this.clock, this.timeoutMs);
    const timedOut = limit.promise.then((): Outcome => {
      controller?.abort();
      return { kind: 'network', error: new Error(`no answer within ${this.timeoutMs} ms`) };
    });
    const answered = (async (): Promise<Outcome> => answer(await this.fetchFn(`${this.url}${path}`, init)))().catch(
      (error: unknown): Outcome => ({ kind: 'network', error }),
    );
    try {
      return await Promise.race([answered, timedOut]);
    } finally {
      limit.cancel();
    }
  }

  /** POSTs sealed events (their JSON as it was sealed). */
  postEvents(json: string[], keepalive = false): Promise<Outcome> {
    return this.request('/api/v1/events', 'POST', `[${json.join(',')}]`, keepalive);
  }
}

async function answer(res: ResponseLike): Promise<Outcome> {
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
    // No readable headers.
  }
  return { kind: 'http', status: res.status, text, retryAfterMs: parseRetryAfter(retryAfter) };
}
