/**
 * A message (what a Logger callback sees) made into a Trail event, within the
 * server's limits (docs/api.md): a value the server would refuse is shortened
 * or converted here, so that one oversized parameter does not cost the event.
 */

import { stripNul, toText, truncateUtf8, utf8Length } from './text.js';
import { LEVELS, type LogLevel, type LogMessage, type ParamValue, type TrailEvent } from './types.js';

/** Hears of anything repaired; `detail` tells repairs of one kind apart (the invalid name). */
export type RepairWarn = (kind: string, message: string, detail?: string) => void;

export const LIMITS = {
  maxParams: 100,
  maxParamName: 64,
  maxParamValueBytes: 8 * 1024,
  maxShortText: 256,
  maxMessageBytes: 16 * 1024,
  maxStackBytes: 64 * 1024,
  maxTypeLength: 64,
} as const;

const TYPE_RE = /^[a-z][a-z0-9_.-]{0,63}$/;

function cleanText(s: string, maxBytes: number): string {
  return truncateUtf8(stripNul(s), maxBytes);
}

/** A valid Trail event type from what the caller gave (`My Log` → `my_log`). */
export function normalizeType(raw: unknown, fallback: string): string {
  if (typeof raw !== 'string' || raw.length === 0) return fallback;
  if (TYPE_RE.test(raw)) return raw;
  let t = raw
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!/^[a-z]/.test(t)) t = 'x' + t;
  t = t.slice(0, LIMITS.maxTypeLength);
  return TYPE_RE.test(t) ? t : fallback;
}

/** Any JS value as JSON a parameter may hold; `undefined` for nothing to send. */
function toJson(value: unknown, depth: number, seen: WeakSet<object>): ParamValue | undefined {
  switch (typeof value) {
    case 'string':
      return stripNul(value);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const obj = value as object;
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
  if (obj instanceof Error) return stripNul(String(obj));
  if (seen.has(obj)) return '[Circular]';
  if (depth > 20) return '[Too deep]';
  const toJSON = (obj as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') {
    try {
      return toJson(toJSON.call(obj), depth + 1, seen);
    } catch {
      return stripNul(String(obj));
    }
  }
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      return obj.map((v) => {
        const j = toJson(v, depth + 1, seen);
        return j === undefined ? null : j;
      });
    }
    if (obj instanceof Map) {
      const out: Record<string, ParamValue> = {};
      for (const [k, v] of obj) {
        const j = toJson(v, depth + 1, seen);
        if (j !== undefined) out[stripNul(String(k))] = j;
      }
      return out;
    }
    if (obj instanceof Set) {
      return Array.from(obj, (v) => {
        const j = toJson(v, depth + 1, seen);
        return j === undefined ? null : j;
      });
    }
    const out: Record<string, ParamValue> = {};
    for (const k of Object.keys(obj)) {
      const j = toJson((obj as Record<string, unknown>)[k], depth + 1, seen);
      if (j !== undefined) out[stripNul(k)] = j;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

/** Parameters within the server's limits; `warn` hears of anything cut. */
export function normalizeParams(
  params: Record<string, unknown> | null | undefined,
  warn: RepairWarn,
): Record<string, ParamValue> | undefined {
  if (params == null || typeof params !== 'object') return undefined;
  const out: Record<string, ParamValue> = {};
  let count = 0;
  for (const rawName of Object.keys(params)) {
    const value = toJson(params[rawName], 0, new WeakSet());
    if (value === undefined) continue;
    let name = stripNul(rawName);
    if (name.length === 0) continue;
    if (utf8Length(name) > LIMITS.maxParamName) {
      name = truncateUtf8(name, LIMITS.maxParamName);
      warn('param-name', `parameter names are limited to ${LIMITS.maxParamName} bytes; "${rawName.slice(0, 80)}" was shortened`);
    }
    if (count >= LIMITS.maxParams) {
      warn('param-count', `an event may have at most ${LIMITS.maxParams} parameters; the rest were left out`);
      break;
    }
    let v: ParamValue = value;
    const size = utf8Length(JSON.stringify(v));
    if (size > LIMITS.maxParamValueBytes) {
      // A string is shortened; anything else is sent as its shortened JSON text.
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      // Leave room for the quotes and escapes JSON adds.
      let budget = LIMITS.maxParamValueBytes - 64;
      v = truncateUtf8(text, budget);
      while (utf8Length(JSON.stringify(v)) > LIMITS.maxParamValueBytes && budget > 64) {
        budget = Math.floor(budget * 0.8);
        v = truncateUtf8(text, budget);
      }
      warn('param-size', `parameter values are limited to ${LIMITS.maxParamValueBytes} bytes; "${name}" was shortened`);
    }
    if (!(name in out)) count++;
    out[name] = v;
  }
  return count > 0 ? out : undefined;
}

export interface EventContext {
  id: string;
  now: Date;
  sessionId?: string;
  actor?: { kind: 'user'; id: string; name?: string; email?: string };
  package?: string;
  warn: RepairWarn;
}

function levelOf(raw: unknown, warn: EventContext['warn']): LogLevel {
  if (typeof raw === 'string' && (LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  warn('level', `unknown level ${JSON.stringify(raw)}; expected one of ${LEVELS.join(', ')}; sent as info`);
  return 'info';
}

/** The Trail event for a message (after the callback has seen it). */
export function messageToEvent(m: LogMessage, ctx: EventContext): TrailEvent {
  const level = levelOf(m.level, ctx.warn);
  const fallbackType = level === 'error' ? 'error' : 'log';
  const type = normalizeType(m.type, fallbackType);
  if (typeof m.type === 'string' && m.type !== type && m.type !== '') {
    ctx.warn('type', `event type "${m.type}" is not valid (lowercase letters, digits, -_. up to 64, starting with a letter); sent as "${type}"`, m.type);
  }
  const event: TrailEvent = {
    id: ctx.id,
    type,
    occurred_at: ctx.now.toISOString(),
    source: 'client',
    level,
  };
  const message = cleanText(toText(m.message), LIMITS.maxMessageBytes);
  if (message) event.message = message;
  let params = m.params;
  const stack = m.stackTrace == null ? undefined : cleanText(toText(m.stackTrace), LIMITS.maxStackBytes);
  if (level === 'error') {
    event.error = { message: message || 'Error' };
    if (stack) event.error.stack_trace = stack;
  } else if (stack) {
    // Only errors carry an `error`; another level keeps its stack as a parameter.
    params = { ...(params ?? {}), stack_trace: stack };
  }
  const p = normalizeParams(params, ctx.warn);
  if (p) event.params = p;
  if (ctx.sessionId) event.session_id = ctx.sessionId;
  if (ctx.actor) event.actor = ctx.actor;
  if (ctx.package) event.package = cleanText(ctx.package, LIMITS.maxShortText);
  return event;
}

/** The actor of a configured user (strings limited to what the server takes). */
export function actorOf(
  user: string | { id: string; name?: string; email?: string },
): { kind: 'user'; id: string; name?: string; email?: string } {
  const u = typeof user === 'string' ? { id: user } : user;
  const actor: { kind: 'user'; id: string; name?: string; email?: string } = {
    kind: 'user',
    id: cleanText(String(u.id).trim(), LIMITS.maxShortText),
  };
  if (u.name) actor.name = cleanText(String(u.name), LIMITS.maxShortText);
  if (u.email) actor.email = cleanText(String(u.email), LIMITS.maxShortText);
  return actor;
}
