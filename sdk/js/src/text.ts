/** Text helpers shared by the Logger, the mapping to events and the client. */

const encoder = new TextEncoder();

export function utf8Length(s: string): number {
  // Fast path: ASCII strings are as long in bytes as in code units.
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s.length;
  return encoder.encode(s).length;
}

/** `s` cut to at most `maxBytes` UTF-8 bytes at a character boundary, marked with `…` when cut. */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (s.length <= maxBytes / 3 || utf8Length(s) <= maxBytes) return s;
  const budget = maxBytes - 3; // room for the ellipsis
  let bytes = 0;
  let i = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + n > budget) break;
    bytes += n;
    i += ch.length;
  }
  return s.slice(0, i) + '…';
}

/** PostgreSQL text cannot hold U+0000, so the server refuses it anywhere. */
export function stripNul(s: string): string {
  return s.indexOf('\0') >= 0 ? s.replace(/\0/g, '') : s;
}

/**
 * Any value as text: a string as it is, nothing as '', an Error by its
 * message, another object as JSON (its `String` when that fails: cycles).
 */
export function toText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v == null) return '';
  if (v instanceof Error) return v.message || String(v);
  if (typeof v === 'object') {
    try {
      const s = JSON.stringify(v);
      if (s !== undefined) return s;
    } catch {
      // Circular, or a throwing toJSON.
    }
  }
  return String(v);
}

/**
 * The message and stack of an Error, or of an error-like object (an Error of
 * another realm, or a plain `{message, stack}`); undefined for anything else.
 */
export function errorParts(v: unknown): { message: string; stack?: string } | undefined {
  const like = v instanceof Error || (v !== null && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string');
  if (!like) return undefined;
  const e = v as { message: string; stack?: unknown };
  const parts: { message: string; stack?: string } = { message: e.message || String(v) };
  if (typeof e.stack === 'string') parts.stack = e.stack;
  return parts;
}

/** JSON.parse that answers undefined instead of throwing (answers may be a proxy's HTML). */
export function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
