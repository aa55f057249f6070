// The words the filters and the search box offer: actions, resource kinds and
// event types (from the account's event types), people and groups (for those
// who may list them). Loaded once per page and shared.

import { events, people } from '../../api/endpoints';
import type { Group, Person } from '../../api/types';

export interface Vocabulary {
  actions: string[];
  kinds: string[];
  types: string[];
  /** Parameter names declared by any type, for `param.NAME:`. */
  params: string[];
  people: Person[];
  groups: Group[];
}

/** Seed 004's filter choices come first, in its order, then the account's own. */
const SEED_ACTIONS = [
  'created',
  'updated',
  'deleted',
  'viewed',
  'executed',
  'cancelled',
  'shared',
  'revoked',
  'published',
];
const SEED_KINDS = [
  'notebook',
  'experiment',
  'pipeline',
  'database',
  'collection',
  'query',
  'report',
  'user',
  'team',
  'permission',
];

/** One load per person signed in (the page may see several sign in and out). */
const cache = new Map<string, Promise<Vocabulary>>();

export function loadVocabulary(who: string, withPeople: boolean): Promise<Vocabulary> {
  const key = `${who} ${withPeople}`;
  let found = cache.get(key);
  if (!found) {
    found = fetchVocabulary(withPeople).catch((e: unknown) => {
      cache.delete(key); // try again next time
      throw e;
    });
    cache.set(key, found);
  }
  return found;
}

async function fetchVocabulary(withPeople: boolean): Promise<Vocabulary> {
  const [types, persons, groups] = await Promise.all([
    events.types(),
    withPeople ? people.list().catch(() => []) : Promise.resolve([]),
    withPeople ? people.groups().catch(() => []) : Promise.resolve([]),
  ]);
  const ordered = (seed: string[], found: (string | null)[]): string[] => {
    const rest = [...new Set(found.filter((x): x is string => !!x && !seed.includes(x)))].sort();
    return [...seed, ...rest];
  };
  return {
    actions: ordered(
      SEED_ACTIONS,
      types.map((t) => t.action),
    ),
    kinds: ordered(
      SEED_KINDS,
      types.map((t) => t.resource_kind),
    ),
    types: types.map((t) => t.name).sort(),
    params: [...new Set(types.flatMap((t) => t.parameters.map((p) => p.name)))].sort(),
    people: persons.sort((a, b) => a.login.localeCompare(b.login)),
    groups: groups.sort((a, b) => a.name.localeCompare(b.name)),
  };
}
