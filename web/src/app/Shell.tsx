// The frame around every signed-in screen: the header with the navigation and
// the user's menu, and the screen the address names.

import { useEffect, useState } from 'preact/hooks';
import { Link } from '../components/Link';
import { Notice } from '../components/Notice';
import { NotAllowed } from '../screens/notallowed/NotAllowed';
import { NotFound } from '../screens/notfound/NotFound';
import { describe } from '../api/errors';
import { match, type Place } from './router';
import { NAV, ROUTES, type Route, type Screen } from './routes';
import { useSession } from './session';
import { UserMenu } from './UserMenu';

export function Shell({ place }: { place: Place }) {
  const { can } = useSession();
  const found = findRoute(place.path);
  const allowed = !!found && (!found.route.allowed || found.route.allowed(can));
  const title = !found ? 'Not found' : allowed ? found.route.title : 'Not allowed';
  useEffect(() => {
    document.title = `${title} · Trail`;
  }, [title]);
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/activity" class="brand" aria-label="Trail, Activity Logs">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>Trail</span>
        </Link>
        <nav aria-label="Main" class="mainnav">
          {NAV.filter((r) => !r.allowed || r.allowed(can)).map((r) => (
            <Link
              key={r.pattern}
              href={r.nav?.href ?? r.pattern}
              aria-current={place.path.startsWith(r.nav?.section ?? r.pattern) ? 'page' : undefined}
            >
              {r.title}
            </Link>
          ))}
        </nav>
        <UserMenu />
      </header>
      <main id="main" class="screen" tabIndex={-1}>
        {!found ? (
          <NotFound />
        ) : allowed ? (
          <RouteView route={found.route} params={found.params} place={place} />
        ) : (
          <NotAllowed />
        )}
      </main>
    </div>
  );
}

function findRoute(path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    const params = match(route.pattern, path);
    if (params) return { route, params };
  }
  return undefined;
}

/** Screens loaded on first visit, kept for the next ones. */
const loaded = new Map<string, Screen>();

function RouteView({ route, params, place }: { route: Route; params: Record<string, string>; place: Place }) {
  const ready = 'now' in route.screen ? route.screen.now : loaded.get(route.pattern);
  const [, setTick] = useState(0);
  const [failure, setFailure] = useState<string>();
  useEffect(() => {
    if (ready || !('load' in route.screen)) return;
    route.screen
      .load()
      .then((screen) => {
        loaded.set(route.pattern, screen);
        setTick((t) => t + 1);
      })
      // After a deploy the old chunk names are gone: a reload fetches the new ones.
      .catch((e: unknown) => setFailure(`${describe(e)} Reload the page to get the current version of the app.`));
  }, [route, ready]);
  if (failure) {
    return (
      <Notice kind="error" title="This screen could not be loaded">
        {failure}
      </Notice>
    );
  }
  if (!ready) return <div class="loading" aria-busy="true" aria-label="Loading" />;
  const View = ready;
  return <View params={params} place={place} />;
}
