// What Activity Logs shows when there is nothing (of the account's own) to list.

import type { EventView } from '../../api/types';
import { EmptyState } from '../../components/EmptyState';
import { useSession } from '../../app/session';

/** The types Trail records about itself: sign-ins, reads of the log, administration. */
const TRAILS_OWN = new Set([
  'user-signed-in',
  'user-sign-in-failed',
  'user-locked-out',
  'user-signed-out',
  'log-searched',
  'log-viewed',
  'log-exported',
  'user-created',
  'user-edited',
  'user-role-changed',
  'group-created',
  'group-member-added',
  'group-member-removed',
  'api-key-created',
  'api-key-revoked',
  'settings-changed',
  'permission-changed',
]);

/**
 * Whether the whole log is Trail's own records: a fresh server, where signing
 * in and looking are already events, but nothing has been sent yet.
 */
export const onlyTrailsOwn = (events: EventView[]): boolean => events.every((e) => TRAILS_OWN.has(e.type));

function FirstEventHowTo() {
  const curl = `curl -s ${location.origin}/api/v1/events \\
  -H "Authorization: Bearer $TRAIL_API_KEY" \\
  -H 'content-type: application/json' \\
  -d '{"type": "query-created",
       "actor": {"kind": "user", "id": "alice@company.com"},
       "resource": {"id": "42", "name": "Top 10 Customers"}}'`;
  return (
    <>
      <p>
        Send one with the admin API key that <code>trail serve</code> printed at its first start (or make a key with{' '}
        <code>trail admin keys create --name web --scope ingest</code>):
      </p>
      <pre class="snippet" tabIndex={0} aria-label="Example: send an event with curl">
        {curl}
      </pre>
      <p>It appears here at once. From code, use the JavaScript Logger or the Rust client (docs/sdks.md).</p>
    </>
  );
}

/** No event at all. */
export function NoEvents() {
  const { can } = useSession();
  if (can.seesOnlyOwn) {
    return (
      <EmptyState title="You have no activity yet">
        <p>What you do in the apps that report to Trail appears here, newest first.</p>
      </EmptyState>
    );
  }
  if (can.seesGrantOnly) {
    return (
      <EmptyState title="Nothing to show yet">
        <p>
          Auditors see the events an owner grants them, for as long as the grant lasts. You have no grant now, or it
          covers no events: ask an owner of the account.
        </p>
      </EmptyState>
    );
  }
  return (
    <EmptyState title="No events yet">
      <FirstEventHowTo />
    </EmptyState>
  );
}

/** Above a log that holds only Trail's own records. */
export function FirstEvent() {
  return (
    <EmptyState title="Send your first event">
      <p>So far the log holds only what Trail records itself: signing in, and looking at the log.</p>
      <FirstEventHowTo />
    </EmptyState>
  );
}

/** Filters or a search that match nothing. */
export function NoMatches({ query, onClear }: { query: string; onClear: () => void }) {
  return (
    <EmptyState
      title="No events match"
      actions={
        <button type="button" class="button" onClick={onClear}>
          Clear the search and filters
        </button>
      }
    >
      <p>
        Nothing matches <code>{query}</code>. Try a longer date range, fewer filters, or fewer words: every word must
        match.
      </p>
    </EmptyState>
  );
}
