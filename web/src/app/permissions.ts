// What the signed-in person's role may do, so that the UI offers only that.
// The server decides anyway (docs/security.md, "The permission matrix"): this
// mirrors it to hide what would only be refused.

import type { Me, Role } from '../api/types';

export interface Abilities {
  /** Search, open and export events (everyone signed in; what they see is narrowed by the server). */
  readEvents: boolean;
  export: boolean;
  /** The Usage pane of an entity: usage sums everyone's events. */
  entityUsage: boolean;
  /** Listing people and groups (used for search suggestions). */
  listPeople: boolean;
  /** Settings screens: people, keys, redaction, logging. */
  administer: boolean;
  /** Members see only their own activity: the UI says so. */
  seesOnlyOwn: boolean;
  /** Auditors see only what an owner granted them, and send nothing. */
  seesGrantOnly: boolean;
}

const SEES_ALL: readonly Role[] = ['owner', 'admin'];

export function abilities(me: Me): Abilities {
  const role = me.role;
  const seesAll = role !== null && SEES_ALL.includes(role);
  return {
    readEvents: true,
    export: true,
    entityUsage: seesAll,
    listPeople: seesAll,
    administer: seesAll,
    seesOnlyOwn: role === 'member',
    seesGrantOnly: role === 'auditor',
  };
}

/** How a role reads in the user menu. */
export const ROLE_NAMES: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  member: 'Member',
  auditor: 'Auditor',
};
