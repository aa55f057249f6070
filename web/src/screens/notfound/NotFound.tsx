// An address that names no screen.

import { EmptyState } from '../../components/EmptyState';
import { Link } from '../../components/Link';

export function NotFound() {
  return (
    <EmptyState
      title="There is no page here"
      actions={
        <Link class="button" href="/activity">
          Go to Activity Logs
        </Link>
      }
    >
      <p>The address may be mistyped, or the page may have moved.</p>
    </EmptyState>
  );
}
