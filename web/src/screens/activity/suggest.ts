// Suggestions for the search box while typing: field names, and for the field
// being typed its values (people, resource kinds, actions, … from the API).
// A pure function of the text and the caret, so it is easy to reason about.

import { quote } from '../../lib/query';
import type { Vocabulary } from './vocabulary';

export interface Suggestion {
  /** What the list shows. */
  label: string;
  /** What replaces the word being typed. */
  insert: string;
  hint?: string;
}

export interface Suggestions {
  /** The part of the text the chosen suggestion replaces: [from, to). */
  from: number;
  to: number;
  items: Suggestion[];
}

/** The fields of docs/search.md, with what each matches. */
export const FIELDS: [string, string][] = [
  ['user', 'a person (login, email, name) or me'],
  ['action', 'what was done: created, updated, …'],
  ['resource', 'a resource kind or words of its name'],
  ['kind', 'a resource kind only'],
  ['status', 'success, failed, in_progress, pending'],
  ['date', 'today, 7d, 2024-06-01..2024-06-30'],
  ['group', 'members of a group and its subgroups'],
  ['actor', 'user, api_key, service_account, system'],
  ['type', 'an event type'],
  ['level', 'debug, info, warning, error, audit, usage'],
  ['source', 'client or server'],
  ['ip', 'an address or its leading part'],
  ['duration', 'how long it took: >1s, 100ms..2s'],
  ['package', 'the app or plugin that emitted it'],
  ['resource.id', "a resource's id, exactly"],
  ['param.', "a parameter's value: param.rows:10"],
  ['session', 'a session by id'],
  ['id', 'an event by id'],
  ['request', 'a request id'],
  ['operation', 'an operation id'],
  ['signature', 'an error group'],
];

const MAX = 8;

const ENUMS: Record<string, string[]> = {
  actor: ['user', 'api_key', 'service_account', 'system'],
  status: ['success', 'failed', 'in_progress', 'pending'],
  level: ['debug', 'info', 'warning', 'error', 'audit', 'usage'],
  source: ['client', 'server'],
  date: ['today', 'yesterday', '15m', '24h', '7d', '30d', '90d'],
  duration: ['>1s', '>=250ms', '<100ms', '100ms..2s'],
};

/** Bounds of the word around the caret; null inside an open quote. */
function wordAt(text: string, caret: number): { start: number; end: number } | null {
  const before = text.slice(0, caret);
  if ((before.match(/(?<!\\)"/g)?.length ?? 0) % 2 === 1) return null;
  const start = before.search(/\S*$/);
  const rest = text.slice(caret).search(/\s/);
  return { start, end: rest < 0 ? text.length : caret + rest };
}

/** Best first: values that start with what was typed, then those that contain it. */
function ranked<T>(items: T[], typed: string, key: (t: T) => string[]): T[] {
  const t = typed.toLowerCase();
  const score = (item: T): number => {
    const keys = key(item).map((k) => k.toLowerCase());
    if (keys.some((k) => k.startsWith(t))) return 0;
    if (keys.some((k) => k.includes(t))) return 1;
    return 2;
  };
  return items
    .map((item) => ({ item, s: score(item) }))
    .filter((x) => x.s < 2)
    .sort((a, b) => a.s - b.s)
    .map((x) => x.item);
}

function valuesOf(field: string, v: Vocabulary): Suggestion[] {
  const plain = (values: string[]): Suggestion[] => values.map((x) => ({ label: x, insert: quote(x) }));
  switch (field) {
    case 'user':
      return [
        { label: 'me', insert: 'me', hint: 'you' },
        ...v.people.map((p) => ({ label: p.login, insert: quote(p.login), hint: p.name ?? undefined })),
      ];
    case 'group':
      return plain(v.groups.map((g) => g.name));
    case 'action':
      return plain(v.actions);
    case 'kind':
    case 'resource':
      return plain(v.kinds);
    case 'type':
      return plain(v.types);
    default:
      return plain(ENUMS[field] ?? []);
  }
}

function fieldSuggestions(typed: string, v: Vocabulary): Suggestion[] {
  const fields = ranked(FIELDS, typed, ([f]) => [f]).map(([f, hint]) => ({
    label: f.endsWith('.') ? `${f}NAME:` : `${f}:`,
    insert: f.endsWith('.') ? f : `${f}:`,
    hint,
  }));
  if (!typed) return fields;
  const params = v.params
    .filter((p) => `param.${p}`.startsWith(typed.toLowerCase()))
    .map((p) => ({ label: `param.${p}:`, insert: `param.${p}:`, hint: 'a parameter' }));
  // A bare word may also be a person, a group or a kind: offer the term for it.
  const people = ranked(v.people, typed, (p) => [p.login, p.name ?? '', p.email ?? '']).map((p) => ({
    label: `user:${p.login}`,
    insert: `user:${quote(p.login)}`,
    hint: p.name ?? undefined,
  }));
  const groups = ranked(v.groups, typed, (g) => [g.name]).map((g) => ({
    label: `group:${g.name}`,
    insert: `group:${quote(g.name)}`,
    hint: 'a group and its subgroups',
  }));
  const kinds = ranked(v.kinds, typed, (k) => [k]).map((k) => ({
    label: `kind:${k}`,
    insert: `kind:${k}`,
    hint: 'a resource kind',
  }));
  return [...fields, ...params, ...people, ...groups, ...kinds];
}

/** Suggestions for the word at `caret`, or null when there is nothing to offer. */
export function suggest(text: string, caret: number, v: Vocabulary): Suggestions | null {
  const word = wordAt(text, caret);
  if (!word) return null;
  const negated = text[word.start] === '-';
  const start = word.start + (negated ? 1 : 0);
  const token = text.slice(start, caret);
  const colon = token.indexOf(':');
  if (colon < 0) {
    if (!token && text.trim()) return null;
    const items = fieldSuggestions(token, v).slice(0, MAX);
    return items.length ? { from: start, to: word.end, items } : null;
  }
  const field = token.slice(0, colon).toLowerCase();
  const values = token.slice(colon + 1);
  const comma = values.lastIndexOf(',');
  const typed = values.slice(comma + 1).replace(/^"/, '');
  const from = start + colon + 1 + comma + 1;
  const candidates = ranked(valuesOf(field, v), typed, (s) => [s.label, s.hint ?? '']);
  const items = candidates
    .filter((s) => s.label.toLowerCase() !== typed.toLowerCase() || candidates.length > 1)
    .slice(0, MAX)
    .map((s) => ({ ...s, insert: `${s.insert} ` }));
  return items.length ? { from, to: word.end, items } : null;
}
