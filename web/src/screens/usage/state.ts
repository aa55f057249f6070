// The state of Usage Analysis, all of it in the address: the tab in the path
// (`/usage/packages`), the global filters, the selection of the tab and a
// drill-down's derived filter in the query string. So any view can be
// bookmarked and shared, and Back and Forward walk through the analysis.

import type { Query } from '../../api/client';
import { navigate } from '../../app/router';
import { DATE_PRESETS } from '../activity/filters';

export type TabId = 'overview' | 'packages' | 'functions' | 'events' | 'errors' | 'performance' | 'users' | 'history';

export interface Tab {
  id: TabId;
  label: string;
  /** What the tab answers, under its title. */
  blurb: string;
}

export const TABS: Tab[] = [
  { id: 'overview', label: 'Overview', blurb: 'Who uses the product and how much, against the period before.' },
  { id: 'packages', label: 'Packages', blurb: 'Which packages are used, by whom, when.' },
  { id: 'functions', label: 'Functions', blurb: 'Which functions run, by whom, how long, with which inputs.' },
  { id: 'events', label: 'Events', blurb: 'Where events come from and of which kind, over time and per person.' },
  { id: 'errors', label: 'Errors', blurb: 'All errors, grouped by signature, and the actions that came before them.' },
  { id: 'performance', label: 'Performance', blurb: 'How long each operation takes, and the slowest runs.' },
  { id: 'users', label: 'Users', blurb: 'People clustered by what they do, set against their groups.' },
  { id: 'history', label: 'Data history', blurb: 'Where a resource came from, how it changed, what was done with it.' },
];

export const isTab = (v: string | undefined): v is TabId => TABS.some((t) => t.id === v);

/** The global filters of the toolbox, applied to every tab. */
export interface UsageFilters {
  /** A preset (`7d`) or a custom `YYYY-MM-DD..YYYY-MM-DD`; empty for the default, the last 30 days. */
  range: string;
  /** `minute`, `hour`, `day`, or empty to let the window decide. */
  bucket: string;
  users: string[];
  groups: string[];
  packages: string[];
}

export const DEFAULT_RANGE = '30d';
export const BUCKETS = ['minute', 'hour', 'day'] as const;

/** A drill-down's derived filter: a package, person, event type or resource kind, and the tab it came from. */
export interface Drill {
  field: DrillField;
  value: string;
  via: TabId | undefined;
}

export type DrillField = 'package' | 'user' | 'type' | 'kind';
const DRILL_FIELDS: DrillField[] = ['package', 'user', 'type', 'kind'];

export interface UsageState {
  tab: TabId;
  filters: UsageFilters;
  drill: Drill | undefined;
  /** The selected thing of the tab (its context panel); each tab reads it its own way. */
  sel: string;
  /** A chart-level filter of the tab (a bar clicked), narrowing its linked chart. */
  pick: string;
  /** The selected dot of a scatter plot: `bucket~person id`. */
  dot: string;
}

const CUSTOM = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/;

const list = (raw: string | null): string[] =>
  (raw ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

export function readState(tab: string | undefined, params: URLSearchParams): UsageState {
  const range = params.get('range') ?? '';
  const bucket = params.get('bucket') ?? '';
  const drill = params.get('drill') ?? '';
  const colon = drill.indexOf(':');
  const field = drill.slice(0, colon) as DrillField;
  const via = params.get('via') ?? undefined;
  return {
    tab: isTab(tab) ? tab : 'overview',
    filters: {
      range: DATE_PRESETS.some((p) => p.value === range) || CUSTOM.test(range) ? range : '',
      bucket: (BUCKETS as readonly string[]).includes(bucket) ? bucket : '',
      users: list(params.get('users')),
      groups: list(params.get('groups')),
      packages: list(params.get('packages')),
    },
    drill:
      colon > 0 && DRILL_FIELDS.includes(field) && drill.slice(colon + 1)
        ? { field, value: drill.slice(colon + 1), via: isTab(via) ? via : undefined }
        : undefined,
    sel: params.get('sel') ?? '',
    pick: params.get('pick') ?? '',
    dot: params.get('dot') ?? '',
  };
}

/** The custom range's days, or undefined for a preset. */
export function customDays(range: string): { from: string; to: string } | undefined {
  const m = CUSTOM.exec(range);
  return m ? { from: m[1] ?? '', to: m[2] ?? '' } : undefined;
}

/** The filters as address parameters (empty ones left out). */
function filterParams(f: UsageFilters): [string, string][] {
  const out: [string, string][] = [];
  if (f.range) out.push(['range', f.range]);
  if (f.bucket) out.push(['bucket', f.bucket]);
  if (f.users.length) out.push(['users', f.users.join(',')]);
  if (f.groups.length) out.push(['groups', f.groups.join(',')]);
  if (f.packages.length) out.push(['packages', f.packages.join(',')]);
  return out;
}

export interface Target {
  tab: TabId;
  filters: UsageFilters;
  drill?: Drill | undefined;
  sel?: string | undefined;
  pick?: string | undefined;
  /** More parameters of the tab (the history's resource). */
  extra?: Record<string, string>;
}

/** The address of a view. */
export function usageHref(t: Target): string {
  const params = new URLSearchParams(filterParams(t.filters));
  if (t.drill) {
    params.set('drill', `${t.drill.field}:${t.drill.value}`);
    if (t.drill.via) params.set('via', t.drill.via);
  }
  if (t.pick) params.set('pick', t.pick);
  if (t.sel) params.set('sel', t.sel);
  for (const [k, v] of Object.entries(t.extra ?? {})) if (v) params.set(k, v);
  const qs = params.toString();
  return `/usage/${t.tab}${qs ? `?${qs}` : ''}`;
}

/** A selection `field:value` (`package:Chem`), split at the first colon. */
export function parseSel(sel: string): { field: string; value: string } {
  const colon = sel.indexOf(':');
  return colon > 0 ? { field: sel.slice(0, colon), value: sel.slice(colon + 1) } : { field: '', value: '' };
}

/** Whether people filters (users, groups) apply: performance is kept per operation, not per person. */
export const takesPeople = (tab: TabId): boolean => tab !== 'performance';

/**
 * The API's query for a tab: the global filters, narrowed by the drill-down's
 * derived filter, and the tab's own options.
 */
export function apiQuery(state: Pick<UsageState, 'tab' | 'filters' | 'drill'>, extra: Query = {}): Query {
  const { filters: f, drill } = state;
  const people = takesPeople(state.tab);
  const q: Query = {
    range: f.range || DEFAULT_RANGE,
    bucket: f.bucket || undefined,
    users: people && f.users.length ? f.users.join(',') : undefined,
    groups: people && f.groups.length ? f.groups.join(',') : undefined,
    packages: f.packages.length ? f.packages.join(',') : undefined,
  };
  if (drill?.field === 'package') q.packages = drill.value;
  if (drill?.field === 'user' && people) q.users = drill.value;
  if (drill?.field === 'type') q.types = drill.value;
  if (drill?.field === 'kind') q.kinds = drill.value;
  return { ...q, ...extra };
}

/** How a drill-down's filter reads: `package Chem`. */
export function drillLabel(d: Pick<Drill, 'field' | 'value'>): string {
  const many = d.value.split(',');
  if (d.field === 'user' && many.length > 1) return `${many.length} people`;
  const what = { package: 'package', user: 'person', type: 'event type', kind: 'resource kind' }[d.field];
  return `${what} ${d.value}`;
}

/** The drill-downs this page made, so that Back returns through history rather than forward to a copy. */
const drilled = new Set<string>();

/** A Details button: to another tab with the derived filter; Back returns. */
export function drillDown(from: UsageState, to: TabId, field: DrillField, value: string, sel?: string): void {
  const href = usageHref({ tab: to, filters: from.filters, drill: { field, value, via: from.tab }, sel });
  drilled.add(href);
  navigate(href);
}

/** Back from a drill-down: the previous step when this page made it, else the tab it came from. */
export function drillBack(state: UsageState): void {
  const now = location.pathname + location.search;
  if (drilled.has(now) && history.length > 1) {
    drilled.delete(now);
    history.back();
    return;
  }
  const d = state.drill;
  navigate(usageHref({ tab: d?.via ?? state.tab, filters: state.filters, sel: d ? `${d.field}:${d.value}` : '' }));
}

/** Close a drill-down: the same tab without the derived filter. */
export function drillClose(state: UsageState): void {
  navigate(usageHref({ tab: state.tab, filters: state.filters, sel: state.sel, pick: state.pick }), { replace: true });
}

/** What had the focus when the context panel opened, to give it back when it closes. */
let opener: HTMLElement | null = null;

/** The element that opened the context panel (once), if it is still on the page. */
export function takeOpener(): HTMLElement | null {
  const o = opener;
  opener = null;
  return o?.isConnected && o !== document.body ? o : null;
}

/** Selects something in the current tab; a step of its own, so that Back unselects. */
export function select(state: UsageState, sel: string, more: { pick?: string; extra?: Record<string, string> } = {}) {
  if (sel && !state.sel) opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const extra = keptParams();
  const href = usageHref({
    tab: state.tab,
    filters: state.filters,
    drill: state.drill,
    sel,
    pick: more.pick ?? state.pick,
    extra: { ...extra, ...more.extra },
  });
  const replace = !!state.sel && !!sel;
  navigate(href, { replace });
}

/** The tab's own parameters that a change of filters or selection keeps: the history's resource. */
export function keptParams(): Record<string, string> {
  const now = new URLSearchParams(location.search);
  const out: Record<string, string> = {};
  for (const k of ['kind', 'id']) {
    const v = now.get(k);
    if (v) out[k] = v;
  }
  return out;
}

/** The Activity Logs address of these search terms, over the toolbox's dates. */
export function activityHref(filters: UsageFilters, terms: string): string {
  const params = new URLSearchParams();
  if (terms) params.set('q', terms);
  const custom = customDays(filters.range);
  if (custom) {
    params.set('date', 'custom');
    params.set('from', custom.from);
    params.set('to', custom.to);
  } else {
    params.set('date', filters.range || DEFAULT_RANGE);
  }
  return `/activity?${params.toString()}`;
}
