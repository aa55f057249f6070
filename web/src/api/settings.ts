// The administration endpoints the Settings screens use (docs/api.md,
// "Administration"; who may call them: docs/security.md): people, groups,
// keys, and the redaction, visibility and logging settings. Their wire types
// are crates/trail-core/src/api/admin.rs, logging.rs and redact.rs.

import { get, post, request } from './client';
import type { Group, Json, Person, Role } from './types';

export type Scope = 'ingest' | 'read' | 'admin';

export interface NewPerson {
  login: string;
  name?: string;
  email?: string;
  role: Role;
  /** Lets the person sign in; at least 12 characters. */
  password?: string;
}

export interface PersonChange {
  name?: string;
  email?: string;
  role?: Role;
  password?: string;
}

export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the secret, to tell keys apart. */
  prefix: string;
  scope: Scope;
  /** The id of the person a personal key acts as. */
  user: string | null;
  allowed_ips: string[];
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  /** Only in the answer that created the key, never again. */
  secret?: string;
}

export interface NewKey {
  name: string;
  scope: Scope;
  /** A login: the key acts as this person. */
  user?: string;
  allowed_ips: string[];
  expires_at?: string;
}

export type ValuePattern =
  'credit_card' | 'jwt' | 'aws_access_key' | 'bearer_token' | 'private_key' | 'trail_api_key' | 'email';

export interface RedactionRules {
  names: string[];
  patterns: ValuePattern[];
}

export interface PreviewResponse {
  text: string | null;
  params: Json;
}

export interface Grant {
  query: string;
  until: string | null;
}

export interface VisibilityRules {
  owner_only: string[];
  /** By auditor login. */
  grants: Record<string, Grant>;
}

export type Preset = 'standard' | 'verbose' | 'custom';

export interface Policy {
  level: Preset;
  /** Custom only: types recorded in addition to Standard (their debug-level events too). */
  enable: string[];
  /** Custom only: types never recorded. */
  disable: string[];
  /** Type → seconds: at most one event of the type per person per window. */
  throttle: Record<string, number>;
}

export interface LoggingSettings {
  default: Policy | null;
  users: Record<string, Policy>;
  groups: Record<string, Policy>;
}

export type PolicySource =
  { from: 'user' } | { from: 'group'; name: string } | { from: 'default' } | { from: 'standard' };

export interface Effective {
  user: string;
  policy?: Policy;
  source?: PolicySource;
  disabled_types: string[];
  debug: boolean;
  debug_types: string[];
  refresh_seconds: number;
}

const seg = encodeURIComponent;
const put = <T>(path: string, body?: unknown): Promise<T> => request<T>('PUT', path, { body });
const del = (path: string): Promise<void> => request<void>('DELETE', path);

export const admin = {
  addPerson: (p: NewPerson): Promise<Person> => post<Person>('/api/v1/users', p),
  changePerson: (login: string, change: PersonChange): Promise<Person> =>
    request<Person>('PATCH', `/api/v1/users/${seg(login)}`, { body: change }),

  addGroup: (name: string, parent?: string): Promise<Group> => post<Group>('/api/v1/groups', { name, parent }),
  addMember: (group: string, login: string): Promise<void> =>
    put<void>(`/api/v1/groups/${seg(group)}/members/${seg(login)}`),
  removeMember: (group: string, login: string): Promise<void> =>
    del(`/api/v1/groups/${seg(group)}/members/${seg(login)}`),

  keys: (): Promise<ApiKey[]> => get<ApiKey[]>('/api/v1/keys'),
  addKey: (key: NewKey): Promise<ApiKey> => post<ApiKey>('/api/v1/keys', key),
  revokeKey: (id: string): Promise<void> => del(`/api/v1/keys/${seg(id)}`),

  redaction: (): Promise<RedactionRules> => get<RedactionRules>('/api/v1/settings/redaction'),
  saveRedaction: (rules: RedactionRules): Promise<RedactionRules> =>
    put<RedactionRules>('/api/v1/settings/redaction', rules),
  /** What `rules` make of `params` (any JSON), storing nothing. */
  previewRedaction: (rules: RedactionRules, params: Json, signal?: AbortSignal): Promise<PreviewResponse> =>
    request<PreviewResponse>('POST', '/api/v1/settings/redaction/preview', { body: { rules, params }, signal }),

  visibility: (): Promise<VisibilityRules> => get<VisibilityRules>('/api/v1/settings/visibility'),
  saveVisibility: (rules: VisibilityRules): Promise<VisibilityRules> =>
    put<VisibilityRules>('/api/v1/settings/visibility', rules),

  logging: (): Promise<LoggingSettings> => get<LoggingSettings>('/api/v1/settings/logging'),
  saveLogging: (settings: LoggingSettings): Promise<LoggingSettings> =>
    put<LoggingSettings>('/api/v1/settings/logging', settings),
  effective: (login: string): Promise<Effective> =>
    get<Effective>('/api/v1/logging-settings/effective', { user: login }),
};
