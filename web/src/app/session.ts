// Who is signed in, shared with every screen.

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me } from '../api/types';
import { abilities, type Abilities } from './permissions';

export interface Session {
  me: Me;
  can: Abilities;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

/** The session of a signed-in screen (the shell renders those only when there is one). */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in screen');
  return session;
}

export function makeSession(me: Me, signOut: () => Promise<void>): Session {
  return { me, can: abilities(me), signOut };
}
