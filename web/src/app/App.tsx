// The app: who is signed in decides between the sign-in screen and the shell
// with its screens. A visit without a session goes to sign-in and comes back
// to the address it asked for.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { auth } from '../api/endpoints';
import { hasSession, onSignedOut } from '../api/client';
import { ApiError, describe } from '../api/errors';
import type { Me } from '../api/types';
import { SignIn } from '../screens/signin/SignIn';
import { Notice } from '../components/Notice';
import { here, navigate, usePlace } from './router';
import { makeSession, SessionContext } from './session';
import { Shell } from './Shell';

type Who =
  { state: 'checking' } | { state: 'signed-out' } | { state: 'signed-in'; me: Me } | { state: 'failed'; why: string };

export function App() {
  const place = usePlace();
  const [who, setWho] = useState<Who>({ state: 'checking' });

  useEffect(() => {
    onSignedOut(() => setWho({ state: 'signed-out' }));
    if (!hasSession()) {
      setWho({ state: 'signed-out' });
      return;
    }
    auth
      .me()
      .then((me) => setWho({ state: 'signed-in', me }))
      .catch((e: unknown) =>
        setWho(e instanceof ApiError && e.signedOut ? { state: 'signed-out' } : { state: 'failed', why: describe(e) }),
      );
  }, []);

  const onSignIn = place.path === '/sign-in';
  useEffect(() => {
    if (who.state === 'signed-out' && !onSignIn) {
      navigate(`/sign-in?next=${encodeURIComponent(here())}`, { replace: true });
    }
    if (who.state === 'signed-in' && place.path === '/') navigate('/activity', { replace: true });
  }, [who, onSignIn, place.path]);

  const session = useMemo(() => {
    if (who.state !== 'signed-in') return null;
    return makeSession(who.me, async () => {
      try {
        await auth.signOut();
      } finally {
        // A new page, so that nothing of this session stays in memory for the next.
        location.assign('/sign-in');
      }
    });
  }, [who]);

  if (onSignIn)
    return <SignIn signedIn={who.state === 'signed-in'} onSignedIn={(me) => setWho({ state: 'signed-in', me })} />;
  if (who.state === 'failed') {
    return (
      <main class="boot">
        <Notice kind="error" title="Trail could not start">
          {who.why}
        </Notice>
      </main>
    );
  }
  // Until the redirect to Activity Logs (from `/`) or to sign-in has happened.
  if (!session || place.path === '/') return <div class="boot" aria-busy="true" aria-label="Loading" />;
  return (
    <SessionContext.Provider value={session}>
      <Shell place={place} />
    </SessionContext.Provider>
  );
}
