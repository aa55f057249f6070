// The wire types of Trail's HTTP API that the app reads, as docs/api.md and
// /api/openapi.json describe them (crates/trail-core/src/api.rs is their source).

export type ActorKind = 'user' | 'api_key' | 'service_account' | 'system';
export type Status = 'success' | 'failed' | 'in_progress' | 'pending';
export type Level = 'debug' | 'info' | 'warning' | 'error' | 'audit' | 'usage';
export type Role = 'owner' | 'admin' | 'member' | 'auditor';

/** Any JSON value: what params, before and after may hold. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Actor {
  kind: ActorKind;
  id: string;
  name?: string;
  email?: string;
}

export interface Resource {
  kind: string;
  id?: string;
  name?: string;
}

export interface ChangedField {
  /** A dotted path for nested fields: `settings.visibility`. */
  field: string;
  before: Json;
  after: Json;
}

export interface Changes {
  before: Json;
  after: Json;
  changed: ChangedField[];
}

export interface ErrorInfo {
  message: string;
  stack_trace?: string;
  signature: string;
}

export interface EventLinks {
  session?: string;
  resource_activity?: string;
}

export interface EventView {
  id: string;
  seq: number;
  type: string;
  /** RFC 3339 with microseconds, in UTC. */
  occurred_at: string;
  received_at: string;
  actor: Actor;
  session_id: string | null;
  source: 'client' | 'server';
  resource: Resource | null;
  package: string | null;
  action: string;
  status: Status;
  level: Level;
  duration_ms: number | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  operation_id: string | null;
  message: string | null;
  params: Record<string, Json>;
  changes: Changes | null;
  error: ErrorInfo | null;
  hash: string;
  links?: EventLinks;
}

export interface EventPage {
  events: EventView[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  next_cursor: string | null;
}

export interface Me {
  account: string;
  login: string | null;
  name: string | null;
  role: Role | null;
  via: 'browser' | 'api_key';
  csrf_token?: string;
  expires_at?: string;
}

export interface Person {
  id: string;
  login: string;
  name: string | null;
  email: string | null;
  role: Role;
  joined: string;
}

export interface Group {
  id: string;
  name: string;
  parent: string | null;
  members: string[];
}

export interface EventType {
  id: number;
  name: string;
  resource_kind: string | null;
  action: string;
  level: Level;
  builtin: boolean;
  parameters: { id: number; name: string; data_type: string }[];
}

export interface LabelCount {
  label: string;
  events: number;
  failures: number;
}

export interface EntityUsage {
  events: number;
  failures: number;
  users: number;
  /** Only days with events, oldest first, as YYYY-MM-DD in the asked time zone. */
  per_day: { day: string; events: number; failures: number }[];
  top_users: LabelCount[];
  top_actions: LabelCount[];
}

/** Every error the API returns has this shape. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: { index: number; field: string; message: string }[];
  };
}

export type ExportFormat = 'csv' | 'json' | 'ndjson';
