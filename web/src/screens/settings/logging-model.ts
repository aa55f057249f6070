// The logging settings as the editor handles them (crates/trail-core/src/
// logging.rs is the rule): whose setting, what a mode records, and the words
// that summarise a setting.

import type { LoggingSettings, Policy, Preset } from '../../api/settings';
import type { EventType, Level } from '../../api/types';

export type Target = { kind: 'default' } | { kind: 'user'; name: string } | { kind: 'group'; name: string };

/** `default`, `user:<login>` or `group:<name>`: how the address names a setting. */
export const keyOf = (t: Target): string => (t.kind === 'default' ? 'default' : `${t.kind}:${t.name}`);

export function targetOf(key: string | null | undefined): Target | undefined {
  if (key === 'default') return { kind: 'default' };
  const m = /^(user|group):(.+)$/.exec(key ?? '');
  if (!m?.[2]) return undefined;
  return { kind: m[1] === 'user' ? 'user' : 'group', name: m[2] };
}

export function policyOf(doc: LoggingSettings, t: Target): Policy | undefined {
  if (t.kind === 'default') return doc.default ?? undefined;
  return (t.kind === 'user' ? doc.users : doc.groups)[t.name];
}

/** The document with one setting replaced (or removed, with `null`). */
export function withPolicy(doc: LoggingSettings, t: Target, policy: Policy | null): LoggingSettings {
  if (t.kind === 'default') return { ...doc, default: policy };
  const field = t.kind === 'user' ? 'users' : 'groups';
  const map = { ...doc[field] };
  if (policy) map[t.name] = policy;
  else delete map[t.name];
  return { ...doc, [field]: map };
}

export function targetLabel(t: Target): string {
  if (t.kind === 'default') return 'Everyone else (the account default)';
  return t.kind === 'user' ? t.name : `Group ${t.name}`;
}

export const MODES: { level: Preset; label: string; hint: string }[] = [
  { level: 'standard', label: 'Standard', hint: 'every event type, except debug-level events' },
  {
    level: 'verbose',
    label: 'Verbose',
    hint: 'everything, debug-level and high-volume events such as viewer-rendered too',
  },
  { level: 'custom', label: 'Custom', hint: 'Standard, with the types you choose turned on or off' },
];

export const modeLabel = (p: Policy | undefined): string =>
  MODES.find((m) => m.level === (p?.level ?? 'standard'))?.label ?? 'Standard';

/**
 * Whether a type's events are recorded under a policy, by the server's rule
 * (`Policy::allows`): `level` is the type's own level (unknown for types the
 * catalogue does not list yet; they count as not debug-level).
 */
export function records(p: Pick<Policy, 'level' | 'enable' | 'disable'>, type: string, level?: Level): boolean {
  const debug = level === 'debug';
  if (p.level === 'verbose') return true;
  if (p.level === 'standard') return !debug;
  if (p.disable.includes(type)) return false;
  return p.enable.includes(type) || !debug;
}

/** `Custom: 2 types off, 1 on · 1 throttled`. */
export function summary(p: Policy | undefined): string {
  if (!p) return 'Standard (nothing set)';
  const parts: string[] = [modeLabel(p)];
  if (p.level === 'custom') {
    const changes = [
      p.disable.length ? `${p.disable.length} off` : '',
      p.enable.length ? `${p.enable.length} on` : '',
    ].filter(Boolean);
    parts[0] = `${parts[0]}: ${changes.length ? changes.join(', ') : 'as Standard'}`;
  }
  const throttled = Object.keys(p.throttle).length;
  if (throttled) parts.push(`${throttled} throttled`);
  return parts.join(' · ');
}

/** Every type a setting may name: the catalogue's, and those the setting names that it lacks. */
export function typeRows(types: EventType[], names: string[]): { name: string; level?: Level }[] {
  const rows: { name: string; level?: Level }[] = types.map((t) => ({ name: t.name, level: t.level }));
  for (const n of names) if (!rows.some((r) => r.name === n)) rows.push({ name: n });
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

/** `30 s`, `5 min`, `1 h`, `1 day`. */
export function window(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? '1 day' : `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export const MAX_THROTTLE_SECONDS = 86_400;
