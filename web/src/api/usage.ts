// Usage Analysis (docs/usage-analysis.md): the wire types of
// `GET /api/v1/usage/...` (crates/trail-core/src/usage.rs is their source) and
// one function per view. Every view takes the same global filters.

import { get, type Query } from './client';
import type { EventView } from './types';

/** The window an answer covers, cut into buckets. */
export interface Span {
  from: string;
  to: string;
  bucket: 'minute' | 'hour' | 'day';
}

export interface UsagePerson {
  id: string;
  login: string;
  name?: string;
}

export interface Card {
  current: number;
  previous: number;
  /** `(current - previous) / previous`; null when the previous was 0. */
  change: number | null;
}

export interface BucketCount {
  bucket: string;
  count: number;
}

export interface NameCount {
  name: string;
  events: number;
  users: number;
}

export interface PersonActivity {
  user: UsagePerson;
  events: number;
  failures: number;
}

export interface Overview {
  span: Span;
  previous: Span;
  cards: Record<'active_users' | 'new_users' | 'sessions' | 'events' | 'errors', Card>;
  users_per_bucket: BucketCount[];
  users_per_package: NameCount[];
  top_users: PersonActivity[];
  other_users: { users: number; events: number };
}

/** One dot of a scatter plot: a person's events in a bucket for one thing. */
export interface Dot {
  name: string;
  bucket: string;
  user: string;
  events: number;
}

export interface FirstLast {
  first: string;
  last: string;
}

export interface PackageSummary {
  package: string;
  events: number;
  users: number;
  failures: number;
  functions: NameCount[];
  levels: Record<string, number>;
  actions: Record<string, number>;
  used: FirstLast | null;
}

export interface Packages {
  span: Span;
  people: UsagePerson[];
  dots: Dot[];
  dots_total: number;
  packages: PackageSummary[];
}

/** Duration quantiles in ms (within 2% of a recorded duration; max is exact). */
export interface Durations {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export interface FunctionRef {
  package: string;
  kind: string;
  /** The resource id (or name) that identifies the function. */
  function: string;
  label: string;
}

export interface FunctionSummary {
  function: FunctionRef;
  runs: number;
  users: number;
  failures: number;
  durations: Durations;
}

export interface Functions {
  span: Span;
  people: UsagePerson[];
  /** `name` is `package:label`. */
  dots: Dot[];
  dots_total: number;
  functions: FunctionSummary[];
}

export interface Run {
  event_id: string;
  at: string;
  user: string;
  duration_ms: number | null;
  status: string;
  params: Record<string, unknown>;
}

export interface FunctionRuns {
  span: Span;
  function: FunctionRef;
  durations: Durations;
  runs: Run[];
  next: string | null;
}

export interface Series {
  key: string;
  total: number;
  points: BucketCount[];
}

export interface Events {
  span: Span;
  by_source: Series[];
  by_level: Series[];
  by_type: Series[];
  by_user: { user: UsagePerson; sources: Record<string, number> }[];
}

export interface ErrorGroup {
  signature: string;
  message: string;
  first_seen: string;
  last_seen: string;
  occurrences: number;
  users: number;
  sessions: number;
  trend: BucketCount[];
  regressed: boolean;
  packages: NameCount[];
  functions: NameCount[];
  types: NameCount[];
}

export interface Errors {
  span: Span;
  quiet_days: number;
  groups: ErrorGroup[];
}

export interface Preceding {
  type: string;
  occurrences: number;
  share: number;
  lift: number | null;
}

export interface ErrorDetail {
  group: ErrorGroup;
  window_seconds: number;
  studied: number;
  preceding: Preceding[];
  occurrences: EventView[];
}

export interface Operation {
  type: string;
  package: string;
  kind: string;
  function: string;
  label: string;
  durations: Durations;
  per_bucket: { bucket: string; durations: Durations }[];
}

export interface Performance {
  span: Span;
  operations: Operation[];
  slowest: EventView[];
}

export interface Cluster {
  id: number;
  users: UsagePerson[];
  defining: { type: string; share: number; lift: number }[];
}

export interface Patterns {
  span: Span;
  min_events: number;
  k: number;
  silhouette: number;
  clusters: Cluster[];
  by_group: {
    groups: string[];
    counts: number[][];
    chi_square: number;
    degrees_of_freedom: number;
    cramers_v: number;
  };
  yours?: number;
}

export interface HistoryNode {
  kind: string;
  id: string;
  name: string | null;
}

export interface Edge {
  from: HistoryNode;
  to: HistoryNode;
  count: number;
  events: { id: string; type: string; at: string; user: string }[];
}

export interface History {
  resource: HistoryNode;
  origin: Edge[];
  modifications: EventView[];
  actions: { action: string; events: number; users: number; last: string }[];
  complete: boolean;
}

export interface UnusedItem {
  name: string;
  last_used: string | null;
}

export interface Unused {
  span: Span;
  event_types: UnusedItem[];
  packages: UnusedItem[];
  functions: UnusedItem[];
}

const path = (view: string): string => `/api/v1/usage/${view}`;
const seg = encodeURIComponent;

/** The usage views; `query` holds the global filters (`range`, `users`, `packages`, …) and a view's options. */
export const usage = {
  overview: (q: Query, signal?: AbortSignal) => get<Overview>(path('overview'), q, signal),
  packages: (q: Query, signal?: AbortSignal) => get<Packages>(path('packages'), q, signal),
  functions: (q: Query, signal?: AbortSignal) => get<Functions>(path('functions'), q, signal),
  runs: (q: Query, signal?: AbortSignal) => get<FunctionRuns>(path('runs'), q, signal),
  events: (q: Query, signal?: AbortSignal) => get<Events>(path('events'), q, signal),
  errors: (q: Query, signal?: AbortSignal) => get<Errors>(path('errors'), q, signal),
  error: (signature: string, q: Query, signal?: AbortSignal) =>
    get<ErrorDetail>(path(`errors/${seg(signature)}`), q, signal),
  performance: (q: Query, signal?: AbortSignal) => get<Performance>(path('performance'), q, signal),
  patterns: (q: Query, signal?: AbortSignal) => get<Patterns>(path('patterns'), q, signal),
  history: (kind: string, id: string, q: Query, signal?: AbortSignal) =>
    get<History>(path(`history/${seg(kind)}/${seg(id)}`), q, signal),
  unused: (q: Query, signal?: AbortSignal) => get<Unused>(path('unused'), q, signal),
};
