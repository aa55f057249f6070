// Roles as docs/security.md describes them ("Roles"), and the groups' nesting,
// as the People and Groups sections show them.

import type { Group, Person, Role } from '../../api/types';
import { ROLE_NAMES } from '../../app/permissions';

export const ROLES: { role: Role; hint: string }[] = [
  { role: 'owner', hint: 'sees every event; changes everything, owners and owner-only rules included' },
  { role: 'admin', hint: 'sees every event but the owner-only ones; manages people, groups, keys and settings' },
  { role: 'member', hint: 'sees their own activity; may send events' },
  { role: 'auditor', hint: 'sees the events an owner granted them, read-only' },
];

export const roleName = (r: Role): string => ROLE_NAMES[r];

/** Admins neither make owners nor change them: the server refuses, so the UI does not offer it. */
export const rolesFor = (owner: boolean): Role[] => ROLES.map((r) => r.role).filter((r) => owner || r !== 'owner');

export const mayEdit = (person: Person, owner: boolean): boolean => owner || person.role !== 'owner';

/** `all-staff › data-team › bi`: a group with the groups it is nested in. */
export function groupPath(group: Group, groups: Group[]): string {
  const names = [group.name];
  let parent = group.parent;
  // At most once per group, should the data ever hold a loop.
  for (let i = 0; parent && i < groups.length; i++) {
    names.unshift(parent);
    parent = groups.find((g) => g.name === parent)?.parent ?? null;
  }
  return names.join(' › ');
}

/** Groups in tree order (each after its parent), with their depth. */
export function groupTree(groups: Group[]): { group: Group; depth: number }[] {
  const out: { group: Group; depth: number }[] = [];
  const byName = new Set(groups.map((g) => g.name));
  const visit = (parent: string | null, depth: number): void => {
    const children = groups
      .filter((g) => (parent === null ? !g.parent || !byName.has(g.parent) : g.parent === parent))
      .sort((a, b) => a.name.localeCompare(b.name));
    for (const g of children) {
      if (out.some((o) => o.group.name === g.name)) continue;
      out.push({ group: g, depth });
      visit(g.name, depth + 1);
    }
  };
  visit(null, 0);
  return out;
}

/** The names of the groups a person is directly in. */
export const groupsOf = (login: string, groups: Group[]): string[] =>
  groups
    .filter((g) => g.members.includes(login))
    .map((g) => g.name)
    .sort();

/** A person's groups with how far up each is (0: a direct member), as the logging settings rank them. */
export function groupDistances(login: string, groups: Group[]): { name: string; distance: number }[] {
  const found = new Map<string, number>();
  let level = groupsOf(login, groups);
  for (let distance = 0; level.length && distance <= groups.length; distance++) {
    const next: string[] = [];
    for (const name of level) {
      if (found.has(name)) continue;
      found.set(name, distance);
      const parent = groups.find((g) => g.name === name)?.parent;
      if (parent) next.push(parent);
    }
    level = next;
  }
  return [...found].map(([name, distance]) => ({ name, distance }));
}
