// Typed calls to the endpoints the app uses, one function each (docs/api.md).

import { get, post, url } from './client';
import type { EntityUsage, EventPage, EventType, EventView, ExportFormat, Group, Me, Person } from './types';

/** The viewer's IANA time zone: dates such as `date:today` are placed in it. */
export const viewerTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export const auth = {
  me: (): Promise<Me> => get<Me>('/api/v1/auth/me'),
  signIn: (login: string, password: string): Promise<Me> => post<Me>('/api/v1/auth/sign-in', { login, password }),
  signOut: (): Promise<void> => post<void>('/api/v1/auth/sign-out'),
};

export interface SearchArgs {
  q: string;
  limit?: number;
  cursor?: string | null;
  signal?: AbortSignal;
}

export const events = {
  search: ({ q, limit = 50, cursor, signal }: SearchArgs): Promise<EventPage> =>
    get<EventPage>('/api/v1/events', { q, limit, cursor, tz: viewerTimeZone() }, signal),
  get: (id: string, signal?: AbortSignal): Promise<EventView> =>
    get<EventView>(`/api/v1/events/${encodeURIComponent(id)}`, undefined, signal),
  types: (): Promise<EventType[]> => get<EventType[]>('/api/v1/event-types'),
  /** The address of the streamed export; the browser downloads it as a file. */
  exportUrl: (q: string, format: ExportFormat): string => url('/api/v1/export', { q, format, tz: viewerTimeZone() }),
};

export const entities = {
  activity: (
    kind: string,
    id: string,
    days: number,
    cursor?: string | null,
    signal?: AbortSignal,
  ): Promise<EventPage> =>
    get<EventPage>(
      `/api/v1/entities/${encodeURIComponent(kind)}/${encodeURIComponent(id)}/activity`,
      { days, cursor, limit: 50, tz: viewerTimeZone() },
      signal,
    ),
  usage: (kind: string, id: string, days: number, signal?: AbortSignal): Promise<EntityUsage> =>
    get<EntityUsage>(
      `/api/v1/entities/${encodeURIComponent(kind)}/${encodeURIComponent(id)}/usage`,
      { days, tz: viewerTimeZone() },
      signal,
    ),
};

export const people = {
  list: (): Promise<Person[]> => get<Person[]>('/api/v1/users'),
  groups: (): Promise<Group[]> => get<Group[]>('/api/v1/groups'),
};
