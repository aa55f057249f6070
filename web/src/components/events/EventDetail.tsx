// One event in full (seed 004, "Viewing Event Details"): basic information,
// metadata, changes with the changed fields highlighted, parameters, the error
// and its stack trace, and links to its session, request and resource.

import { useEffect, useState } from 'preact/hooks';
import { events as api } from '../../api/endpoints';
import { isAbort } from '../../api/client';
import { describe } from '../../api/errors';
import type { EventView } from '../../api/types';
import { actorLabel, formatDuration, formatInstant, showValue, summary, words } from '../../lib/format';
import { quote, searchHref as search } from '../../lib/query';
import { DetailPanel, Facts, Section } from '../DetailPanel';
import { Link } from '../Link';
import { Notice } from '../Notice';
import { ChangesView } from './Changes';
import { StatusBadge } from './StatusBadge';

/** The address of a resource's page, when it has an id. */
export function entityHref(kind: string, id: string): string {
  return `/entities/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`;
}

export function EventDetail({ id, onClose }: { id: string; onClose: () => void }) {
  const [event, setEvent] = useState<EventView>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const abort = new AbortController();
    setEvent(undefined);
    setError(undefined);
    api
      .get(id, abort.signal)
      .then(setEvent)
      .catch((e: unknown) => isAbort(e) || setError(describe(e)));
    return () => abort.abort();
  }, [id]);

  if (error) {
    return (
      <DetailPanel title="Event" onClose={onClose}>
        <Notice kind="error">{error}</Notice>
      </DetailPanel>
    );
  }
  if (!event) {
    return (
      <DetailPanel title="Event" onClose={onClose}>
        <div class="loading" aria-busy="true" aria-label="Loading the event" />
      </DetailPanel>
    );
  }
  return (
    <DetailPanel
      title={summary(event)}
      subtitle={
        <>
          <code>{event.type}</code> · {formatInstant(event.occurred_at)}
        </>
      }
      onClose={onClose}
    >
      <Basics e={event} />
      <Metadata e={event} />
      {event.changes ? (
        <Section title="Changes made">
          <ChangesView changes={event.changes} />
        </Section>
      ) : null}
      <Params e={event} />
      {event.error ? <ErrorSection e={event} /> : null}
      <SeeAlso e={event} />
      <Section title="Integrity">
        <Facts
          rows={[
            ['Position in the log', `#${event.seq}`],
            ['Hash (SHA-256)', <code class="hash">{event.hash}</code>],
          ]}
        />
      </Section>
    </DetailPanel>
  );
}

function Basics({ e }: { e: EventView }) {
  const person = e.actor.kind === 'user';
  return (
    <Section title="Basic information">
      <Facts
        rows={[
          [
            'User',
            person ? (
              <Link href={`/activity?user=${encodeURIComponent(e.actor.id)}`}>{actorLabel(e.actor)}</Link>
            ) : (
              actorLabel(e.actor)
            ),
          ],
          ['Name', person && e.actor.name ? e.actor.name : ''],
          ['Action', e.action],
          [
            'Resource',
            e.resource ? (
              <>
                {e.resource.kind}{' '}
                {e.resource.id ? (
                  <Link href={entityHref(e.resource.kind, e.resource.id)}>{e.resource.name ?? e.resource.id}</Link>
                ) : (
                  e.resource.name
                )}
                {e.resource.id && e.resource.name ? <span class="muted"> (id {e.resource.id})</span> : null}
              </>
            ) : (
              ''
            ),
          ],
          ['Status', <StatusBadge status={e.status} />],
          ['Details', e.message ?? ''],
        ]}
      />
    </Section>
  );
}

function Metadata({ e }: { e: EventView }) {
  return (
    <Section title="Metadata">
      <Facts
        rows={[
          ['Time', formatInstant(e.occurred_at)],
          ['Received', formatInstant(e.received_at)],
          ['IP address', e.ip ?? ''],
          ['User agent', e.user_agent ?? ''],
          ['Session', e.session_id ? <Link href={search(`session:${e.session_id}`)}>{e.session_id}</Link> : ''],
          ['Request', e.request_id ? <Link href={search(`request:${quote(e.request_id)}`)}>{e.request_id}</Link> : ''],
          [
            'Operation',
            e.operation_id ? <Link href={search(`operation:${quote(e.operation_id)}`)}>{e.operation_id}</Link> : '',
          ],
          ['Duration', formatDuration(e.duration_ms)],
          ['Package', e.package ?? ''],
          ['Level', e.level],
          ['Source', e.source],
          ['Event type', e.type],
          ['Event id', <code>{e.id}</code>],
        ]}
      />
    </Section>
  );
}

function Params({ e }: { e: EventView }) {
  const names = Object.keys(e.params).sort();
  if (!names.length) return null;
  return (
    <Section title="Parameters">
      <table class="params">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {names.map((n) => (
            <tr key={n}>
              <th scope="row">{n}</th>
              <td>
                <code>{showValue(e.params[n])}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function ErrorSection({ e }: { e: EventView }) {
  const err = e.error;
  if (!err) return null;
  return (
    <Section title="Error">
      <p class="error-message">{err.message}</p>
      {err.stack_trace ? (
        <pre class="stack" aria-label="Stack trace">
          {err.stack_trace}
        </pre>
      ) : null}
      <p class="muted">
        Signature <Link href={search(`signature:${err.signature}`)}>{err.signature.slice(0, 16)}…</Link>: every
        occurrence of this error.
      </p>
    </Section>
  );
}

function SeeAlso({ e }: { e: EventView }) {
  const links = [
    e.session_id ? { href: search(`session:${e.session_id}`), label: 'Everything in this session' } : null,
    e.resource?.id
      ? {
          href: entityHref(e.resource.kind, e.resource.id),
          label: `Activity and usage of this ${words(e.resource.kind)}`,
        }
      : null,
    e.actor.kind === 'user'
      ? { href: `/activity?user=${encodeURIComponent(e.actor.id)}&date=7d`, label: 'This person’s last 7 days' }
      : null,
  ].filter((l): l is { href: string; label: string } => l !== null);
  if (!links.length) return null;
  return (
    <Section title="See also">
      <ul class="see-also">
        {links.map((l) => (
          <li key={l.href}>
            <Link href={l.href}>{l.label}</Link>
          </li>
        ))}
      </ul>
    </Section>
  );
}
