// The events of a search as a table: who, action, resource, time (in the
// viewer's time zone), IP, status, duration.

import type { EventView } from '../../api/types';
import { actorLabel, formatDuration, formatTime, viewerZone } from '../../lib/format';
import { DataTable, type Column } from '../DataTable';
import { StatusBadge } from './StatusBadge';

const COLUMNS: Column<EventView>[] = [
  {
    key: 'time',
    header: `Time (${viewerZone})`,
    cell: (e) => <time dateTime={e.occurred_at}>{formatTime(e.occurred_at)}</time>,
    class: 'col-time',
  },
  {
    key: 'user',
    header: 'User',
    cell: (e) => <span title={actorLabel(e.actor)}>{actorLabel(e.actor)}</span>,
    class: 'col-user',
  },
  { key: 'action', header: 'Action', cell: (e) => e.action, class: 'col-action' },
  {
    key: 'resource',
    header: 'Resource',
    cell: (e) =>
      e.resource ? (
        <span title={`${e.resource.kind} ${e.resource.name ?? e.resource.id ?? ''}`}>
          <span class="kind">{e.resource.kind}</span> {e.resource.name ?? e.resource.id ?? ''}
        </span>
      ) : (
        <span class="muted">{e.type}</span>
      ),
    class: 'col-resource',
  },
  { key: 'status', header: 'Status', cell: (e) => <StatusBadge status={e.status} />, class: 'col-status' },
  { key: 'ip', header: 'IP address', cell: (e) => e.ip ?? '', class: 'col-ip' },
  { key: 'duration', header: 'Duration', cell: (e) => formatDuration(e.duration_ms), class: 'col-duration' },
];

interface Props {
  caption: string;
  events: EventView[];
  selected?: string | undefined;
  fresh?: ReadonlySet<string>;
  onOpen: (e: EventView, row: HTMLElement) => void;
  more: boolean;
  loading: boolean;
  onMore: () => void;
}

export function EventTable({ caption, events, selected, fresh, onOpen, more, loading, onMore }: Props) {
  const footer = events.length ? (
    <span class="muted">
      {more ? 'Scroll for older events' : `All ${events.length.toLocaleString('en-US')} matching events are shown`}
    </span>
  ) : null;
  return (
    <DataTable
      caption={caption}
      columns={COLUMNS}
      rows={events}
      rowKey={(e) => e.id}
      onOpen={onOpen}
      selected={selected}
      fresh={fresh}
      more={more}
      loading={loading}
      onMore={onMore}
      footer={footer}
    />
  );
}
