// An address the signed-in person's role may not open (a member typing
// /settings/people, an auditor /usage/overview). The server refuses what such a screen would ask for
// anyway; this says so in plain words instead of showing a broken screen.

import { ROLE_NAMES } from '../../app/permissions';
import { useSession } from '../../app/session';
import { EmptyState } from '../../components/EmptyState';
import { Link } from '../../components/Link';

export function NotAllowed() {
  const { me } = useSession();
  const role = me.role ? ROLE_NAMES[me.role] : 'API key';
  return (
    <EmptyState
      title="You are not allowed to open this page"
      actions={
        <Link class="button" href="/activity">
          Go to Activity Logs
        </Link>
      }
    >
      <p>
        You are signed in as {role.toLowerCase() === 'api key' ? 'an API key' : `a ${role.toLowerCase()}`}, and this
        page is not for that role. Ask an owner or an admin if you need something here.
      </p>
    </EmptyState>
  );
}
