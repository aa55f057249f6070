// The Activity Logs filters: read from and written to the address, and turned
// into one search in the query language (docs/search.md). The search box's
// text comes first, so that the column of a search error points into the box.

import { quote } from '../../lib/query';

export const DATE_PRESETS = [
  { value: 'today', label: 'Today' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
  { value: '90d', label: 'Last 90 days' },
] as const;

export const STATUSES = [
  { value: 'success', label: 'Success' },
  { value: 'failed', label: 'Failed' },
  { value: 'in_progress', label: 'In progress' },
  { value: 'pending', label: 'Pending' },
] as const;

/** Who acted, besides a named person: seed 004's "API keys", "Service accounts". */
export const ACTOR_KINDS = [
  { value: 'api_key', label: 'API keys' },
  { value: 'service_account', label: 'Service accounts' },
  { value: 'system', label: 'System' },
] as const;

export interface Filters {
  /** The search box: any terms of the query language. */
  text: string;
  action: string[];
  kind: string[];
  /** `me`, a person's login or email, or empty for anyone. */
  user: string;
  /** An actor kind other than a person, or empty. */
  actor: string;
  status: string[];
  /** A preset of DATE_PRESETS, `custom` (with from/to), or empty for any time. */
  date: string;
  from: string;
  to: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const NAME = /^[a-z][a-z0-9._-]*$/;

const list = (raw: string | null, ok: (v: string) => boolean): string[] =>
  (raw ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v && ok(v));

/** The filters an address holds; values that are not valid are ignored. */
export function readFilters(params: URLSearchParams): Filters {
  const date = params.get('date') ?? '';
  const day = (k: string): string => {
    const v = params.get(k) ?? '';
    return DAY.test(v) ? v : '';
  };
  const actor = params.get('actor') ?? '';
  return {
    text: params.get('q') ?? '',
    action: list(params.get('action'), (v) => NAME.test(v)),
    kind: list(params.get('kind'), (v) => NAME.test(v)),
    user: (params.get('user') ?? '').trim(),
    actor: ACTOR_KINDS.some((a) => a.value === actor) ? actor : '',
    status: list(params.get('status'), (v) => STATUSES.some((s) => s.value === v)),
    date: date === 'custom' || DATE_PRESETS.some((p) => p.value === date) ? date : '',
    from: day('from'),
    to: day('to'),
  };
}

/** The address parameters of a change of filters (undefined removes one). */
export function filterParams(f: Partial<Filters>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  const set = (k: string, v: string | string[] | undefined): void => {
    if (v === undefined) return;
    out[k] = (Array.isArray(v) ? v.join(',') : v) || undefined;
  };
  set('q', f.text);
  set('action', f.action);
  set('kind', f.kind);
  set('user', f.user);
  set('actor', f.actor);
  set('status', f.status);
  set('date', f.date);
  set('from', f.from);
  set('to', f.to);
  return out;
}

export const NO_FILTERS: Filters = {
  text: '',
  action: [],
  kind: [],
  user: '',
  actor: '',
  status: [],
  date: '',
  from: '',
  to: '',
};

/** `date:…` of a custom range, or why it is not one. */
export function customRange(from: string, to: string): { term?: string; problem?: string } {
  if (!from && !to) return { problem: 'Choose a first day, a last day, or both.' };
  if (from && to && from > to) return { problem: 'The range ends before it starts.' };
  return { term: `date:${from}..${to}` };
}

/** The date term of the filters, if any. */
export function dateTerm(f: Pick<Filters, 'date' | 'from' | 'to'>): string | undefined {
  if (f.date === 'custom') return customRange(f.from, f.to).term;
  return f.date ? `date:${f.date}` : undefined;
}

/** The filter bar's terms, without the search box and (optionally) without the date. */
export function filterTerms(f: Filters, { withDate = true } = {}): string[] {
  const terms: string[] = [];
  if (f.action.length) terms.push(`action:${f.action.join(',')}`);
  if (f.kind.length) terms.push(`kind:${f.kind.join(',')}`);
  if (f.user) terms.push(`user:${quote(f.user)}`);
  if (f.actor) terms.push(`actor:${f.actor}`);
  if (f.status.length) terms.push(`status:${f.status.join(',')}`);
  const date = withDate ? dateTerm(f) : undefined;
  if (date) terms.push(date);
  return terms;
}

/** The whole search: the box's text first, then the filter bar's terms. */
export function toQuery(f: Filters): string {
  return [f.text.trim(), ...filterTerms(f)].filter(Boolean).join(' ');
}

export function hasFilters(f: Filters): boolean {
  return toQuery(f) !== '';
}

/** How a date filter reads on its button. */
export function dateSummary(f: Pick<Filters, 'date' | 'from' | 'to'>): string | undefined {
  if (f.date !== 'custom') return undefined;
  if (f.from && f.to) return f.from === f.to ? f.from : `${f.from} – ${f.to}`;
  if (f.from) return `from ${f.from}`;
  if (f.to) return `until ${f.to}`;
  return undefined;
}
