// How values read on screen: times in the viewer's time zone, durations,
// counts, people.

import type { Actor, EventView, Resource } from '../api/types';

const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const dateTime = new Intl.DateTimeFormat('en-CA', {
  timeZone,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

const zoneOffset = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });

/** The viewer's time zone, e.g. `Europe/Berlin`. */
export const viewerZone = timeZone;

/** `2024-06-12 14:30:22` in the viewer's time zone. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = Object.fromEntries(dateTime.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** `2024-06-12 14:30:22.123456 GMT+02:00`: the full precision the API keeps, for the detail panel. */
export function formatInstant(iso: string): string {
  const fraction = /\.(\d+)/.exec(iso)?.[1];
  const zone = zoneOffset.formatToParts(new Date(iso)).find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
  return `${formatTime(iso)}${fraction ? `.${fraction}` : ''} ${zone}`;
}

/** `245 ms`, `1.2 s`, `3 min 5 s`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${min} min ${s} s` : `${min} min`;
}

const counts = new Intl.NumberFormat('en-US');
export const formatCount = (n: number): string => counts.format(n);

/** A person by email or login; keys and services by name, with what they are. */
export function actorLabel(a: Actor): string {
  if (a.kind === 'user') return a.email || a.id;
  const what = { api_key: 'API key', service_account: 'service account', system: 'system' }[a.kind];
  return `${a.name || a.id} (${what})`;
}

/** `notebook Sales Analysis Q2`. */
export function resourceLabel(r: Resource | null): string {
  if (!r) return '';
  return `${r.kind} ${r.name || r.id || ''}`.trim();
}

/** `in_progress` → `in progress`. */
export const words = (s: string): string => s.replace(/[_-]/g, ' ');

/** `2024-06-12` of a Date, in the viewer's time zone. */
export function dayOf(d: Date): string {
  const p = Object.fromEntries(dateTime.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

/** What an event is about, in one line: its message or error, else action and resource. */
export function summary(e: EventView): string {
  const said = e.message || e.error?.message;
  if (said) return said;
  const text = `${e.action} ${resourceLabel(e.resource)}`.trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** JSON for reading: strings without quotes when alone. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
