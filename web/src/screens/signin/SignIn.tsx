// Signing in with a login and password (POST /api/v1/auth/sign-in). Afterwards
// the viewer goes back to the address they asked for.

import { useEffect, useRef, useState } from 'preact/hooks';
import { auth } from '../../api/endpoints';
import { describe } from '../../api/errors';
import type { Me } from '../../api/types';
import { navigate, safeNext } from '../../app/router';
import { Notice } from '../../components/Notice';

interface Props {
  signedIn: boolean;
  onSignedIn: (me: Me) => void;
}

export function SignIn({ signedIn, onSignedIn }: Props) {
  const next = safeNext(new URLSearchParams(location.search).get('next'));
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const first = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Trail';
    if (signedIn) navigate(next, { replace: true });
    else first.current?.focus();
  }, [signedIn, next]);

  const submit = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const me = await auth.signIn(login.trim(), password);
      onSignedIn(me);
      navigate(next, { replace: true });
    } catch (e) {
      setError(describe(e));
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <form
        class="signin-card"
        aria-labelledby="signin-title"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div class="signin-brand">
          <img src="/favicon.svg" alt="" width={40} height={40} />
          <span>Trail</span>
        </div>
        <h1 id="signin-title">Sign in</h1>
        <p class="muted">Audit logs and usage analytics of your account.</p>
        {error ? <Notice kind="error">{error}</Notice> : null}
        <label for="signin-login">Login</label>
        <input
          ref={first}
          id="signin-login"
          name="username"
          autoComplete="username"
          required
          value={login}
          onInput={(e) => setLogin(e.currentTarget.value)}
        />
        <label for="signin-password">Password</label>
        <input
          id="signin-password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <button type="submit" class="button primary wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint">
          First start? The owner’s login is <code>owner</code>; <code>trail serve</code> printed the password once.
          Others get theirs from an admin.
        </p>
      </form>
    </main>
  );
}
