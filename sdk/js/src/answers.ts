/**
 * What the server's answer to a batch means for its events. Events are
 * dropped only when the answer is Trail's own (its JSON error shape) and
 * names them; anything else (a proxy's page, an answer that names nothing in
 * the batch) is retried later, so a misunderstanding never costs events.
 */

import type { Entry } from './queue.js';
import { safeParse } from './text.js';
import { describe, isStored, type Outcome } from './transport.js';

export type DropReason = 'invalid' | 'conflict' | 'tooLarge';

export type Verdict =
  /** Stored (or stored before): `text` is the answer, which may list events the settings dropped. */
  | { kind: 'stored'; text: string }
  /** Drop `ids`, send `unknownSession`'s events without their session, then send the rest at once. */
  | { kind: 'drop'; ids: Set<string>; reason: DropReason; detail: string; unknownSession: Entry[] }
  /** Too large: send half as many per request. */
  | { kind: 'split' }
  /** The key was refused: stop sending, keep everything. */
  | { kind: 'refused'; detail: string }
  /** Try again after a backoff, at least `retryAfterMs`; `warning` says why once, when it is unusual. */
  | { kind: 'retry'; retryAfterMs: number | undefined; warning?: { kind: string; message: string } };

interface TrailError {
  code: string;
  message: string;
  details?: Array<{ index?: unknown; field?: unknown; message?: unknown }>;
  ids?: unknown[];
}

/** The `error` of Trail's error answer, or undefined when the body is not one (a proxy's page, say). */
function trailError(text: string): TrailError | undefined {
  const body = safeParse(text) as { error?: Partial<TrailError> } | undefined;
  const e = body && typeof body === 'object' ? body.error : undefined;
  return e && typeof e.code === 'string' && typeof e.message === 'string' ? (e as TrailError) : undefined;
}

export function judge(batch: Entry[], outcome: Outcome): Verdict {
  if (outcome.kind === 'network') return { kind: 'retry', retryAfterMs: undefined };
  if (isStored(outcome)) return { kind: 'stored', text: outcome.text };
  const s = outcome.status;
  const named = s === 400 ? invalidEvents(batch, outcome.text) : s === 409 ? conflicting(batch, outcome.text) : undefined;
  if (named) return named;
  if (s === 413) return tooLarge(batch, outcome.text);
  if (s === 401 || s === 403) return { kind: 'refused', detail: describe(outcome) };
  const retry: Verdict = { kind: 'retry', retryAfterMs: outcome.retryAfterMs };
  if (s === 408 || s === 429 || s >= 500) return retry;
  // 400 or 409 naming nothing of the batch, a proxy's page, a wrong URL's 404…
  retry.warning = { kind: `status:${s}`, message: `trail-logger: unexpected answer ${describe(outcome)} to a batch of events; it is sent again later` };
  return retry;
}

/** A 400 `invalid_events` naming events of the batch by index. */
function invalidEvents(batch: Entry[], text: string): Verdict | undefined {
  const e = trailError(text);
  if (e?.code !== 'invalid_events' || !Array.isArray(e.details)) return undefined;
  const ids = new Set<string>();
  const unknownSession = new Set<Entry>();
  let detail = '';
  for (const d of e.details) {
    const entry = typeof d.index === 'number' ? batch[d.index] : undefined;
    if (!entry) continue;
    if (d.field === 'session_id' && entry.event.session_id) {
      unknownSession.add(entry);
      continue;
    }
    ids.add(entry.event.id);
    detail ||= `${String(d.field ?? '')}: ${String(d.message ?? '')}`;
  }
  for (const entry of unknownSession) if (ids.has(entry.event.id)) unknownSession.delete(entry);
  if (ids.size === 0 && unknownSession.size === 0) return undefined;
  return { kind: 'drop', ids, reason: 'invalid', detail, unknownSession: [...unknownSession] };
}

/** A 409 listing ids of the batch: stored already, with other content. */
function conflicting(batch: Entry[], text: string): Verdict | undefined {
  const listed = trailError(text)?.ids;
  if (!Array.isArray(listed)) return undefined;
  const inBatch = new Set(batch.map((e) => e.event.id));
  const ids = new Set(listed.filter((id): id is string => typeof id === 'string' && inBatch.has(id)));
  if (ids.size === 0) return undefined;
  return { kind: 'drop', ids, reason: 'conflict', detail: `${ids.size} event id(s) already stored with other content`, unknownSession: [] };
}

/** 413 (Trail's or a proxy's limit): halve the batch, or drop an event too large alone. */
function tooLarge(batch: Entry[], text: string): Verdict {
  if (batch.length > 1) return { kind: 'split' };
  return { kind: 'drop', ids: new Set([batch[0]!.event.id]), reason: 'tooLarge', detail: text.slice(0, 200), unknownSession: [] };
}
