// An event's status in words with a shape beside them, never by color alone.

import type { Status } from '../../api/types';

const LABELS: Record<Status, [string, string]> = {
  success: ['Success', '✓'],
  failed: ['Failed', '✕'],
  in_progress: ['In progress', '◔'],
  pending: ['Pending', '…'],
};

export function StatusBadge({ status }: { status: Status }) {
  const [label, mark] = LABELS[status] ?? [status, '•'];
  return (
    <span class={`status status-${status}`}>
      <span aria-hidden="true">{mark}</span> {label}
    </span>
  );
}
