// The redaction preview's sample: an event as a client sends it, and where in
// it the server looks for secrets (crates/trail-core/src/redact.rs,
// `Redactor::input`): the message, the user agent, the resource's name, the
// parameters, before and after of the changes, and the error.

import type { Json } from '../../api/types';

// Keys in the order the preview lists them (sorted), so that the sample and
// what would be stored read line by line alike.
export const SAMPLE = {
  changes: { after: { billing: { card_number: '5555555555554444' }, plan: 'pro' }, before: { plan: 'free' } },
  error: { message: 'Upstream refused the call with Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl' },
  message: 'Executed for alice@company.com with password_hash=5f4dcc3b5aa765d61d8327deb882cf99',
  params: {
    api_token: 'tok_live_8f2k1m9x0q',
    card: '4111 1111 1111 1111',
    contact: 'alice@company.com',
    database: 'sales_db',
    rows: 10,
  },
  type: 'query-start',
};

/** The places of an event that may hold secrets, as paths. */
const PLACES: string[][] = [
  ['params'],
  ['changes', 'before'],
  ['changes', 'after'],
  ['message'],
  ['user_agent'],
  ['resource', 'name'],
  ['error', 'message'],
  ['error', 'stack_trace'],
];

type JsonObject = { [key: string]: Json };
const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function read(v: Json, path: string[]): Json {
  let at: Json | undefined = v;
  for (const k of path) at = isObject(at) ? at[k] : undefined;
  return at ?? null;
}

function write(v: JsonObject, path: string[], value: Json): void {
  let at: JsonObject = v;
  for (const k of path.slice(0, -1)) {
    const next = at[k];
    if (!isObject(next)) return;
    at = next;
  }
  const last = path[path.length - 1];
  if (last !== undefined && last in at) at[last] = value;
}

/**
 * What to send to the preview: the event's places as one array, which the
 * server redacts exactly as ingest does each of them (field names inside
 * objects; free text in strings).
 */
export const places = (event: JsonObject): Json[] => PLACES.map((p) => read(event, p));

/** The event with its places as the preview answered them. */
export function stored(event: JsonObject, answer: Json): JsonObject {
  const out = JSON.parse(JSON.stringify(event)) as JsonObject;
  if (!Array.isArray(answer)) return out;
  PLACES.forEach((p, i) => {
    if (read(event, p) !== null) write(out, p, answer[i] ?? null);
  });
  return out;
}

/** The sample's text as an event, or what is wrong with it. */
export function parseSample(text: string): { event: JsonObject } | { problem: string } {
  try {
    const v = JSON.parse(text) as Json;
    if (!isObject(v)) return { problem: 'The sample must be one JSON object, an event as a client sends it.' };
    return { event: v };
  } catch (e) {
    return { problem: `The sample is not valid JSON: ${e instanceof Error ? e.message : String(e)}.` };
  }
}

/** The dotted paths where two values differ (the fields the rules hid). */
export function changedPaths(a: Json, b: Json, path = ''): string[] {
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => changedPaths(a[k] ?? null, b[k] ?? null, path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}
