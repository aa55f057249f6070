// Pieces every section's screen shows alike: loading and its failure, table
// heads, and where only owners may act.

import { Notice } from '../../components/Notice';
import type { Loaded } from './useLoad';

/** A spinner while loading, or why it failed; nothing once loaded. */
export function LoadState({ loaded, what }: { loaded: Loaded<unknown>; what: string }) {
  if (loaded.error) {
    return (
      <Notice kind="error" title={`${what} could not be loaded`}>
        {loaded.error}
      </Notice>
    );
  }
  return loaded.data === undefined ? <div class="loading" aria-busy="true" aria-label="Loading" /> : null;
}

/** The head of a settings table; a last, unnamed column for the rows' buttons unless `actions` is false. */
export function TableHead({ columns, actions = true }: { columns: string[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th key={c} scope="col">
            {c}
          </th>
        ))}
        {actions ? (
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        ) : null}
      </tr>
    </thead>
  );
}

/** In place of a button the viewer's role would be refused. */
export function OwnersOnly({ why }: { why: string }) {
  return (
    <span class="muted" title={why}>
      Owners only
    </span>
  );
}
