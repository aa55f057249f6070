// One resource (seed 000's context panel): its Usage (events per day, people,
// top actions) and its Activity, newest first, over the last days.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { entities } from '../../api/endpoints';
import { isAbort } from '../../api/client';
import { describe } from '../../api/errors';
import type { EntityUsage, EventView } from '../../api/types';
import { setParams } from '../../app/router';
import type { ScreenProps } from '../../app/routes';
import { useSession } from '../../app/session';
import { EmptyState } from '../../components/EmptyState';
import { EventDetail } from '../../components/events/EventDetail';
import { EventTable } from '../../components/events/EventTable';
import { useEventList } from '../../components/events/useEventList';
import { Link } from '../../components/Link';
import { Notice } from '../../components/Notice';
import { quote, searchHref } from '../../lib/query';
import { words } from '../../lib/format';
import { UsagePane } from './UsagePane';

const DAY_CHOICES = [7, 30, 90];

export function EntityPage({ params, place }: ScreenProps) {
  const { can } = useSession();
  const kind = params.kind ?? '';
  const id = params.id ?? '';
  const days = DAY_CHOICES.includes(Number(place.params.get('days'))) ? Number(place.params.get('days')) : 7;
  const openId = place.params.get('event') ?? undefined;
  const opener = useRef<HTMLElement | null>(null);
  const open = (e: EventView, row: HTMLElement): void => {
    opener.current = row;
    setParams({ event: e.id }, { replace: !!openId });
  };
  const close = (): void => {
    setParams({ event: undefined }, { replace: false });
    requestAnimationFrame(() => opener.current?.focus());
  };
  const fetchPage = useCallback(
    (cursor: string | null, signal: AbortSignal) => entities.activity(kind, id, days, cursor, signal),
    [kind, id, days],
  );
  const list = useEventList(`${kind}/${id}/${days}`, fetchPage);
  const name = list.events.find((e) => e.resource?.name)?.resource?.name;
  const scope = `kind:${quote(kind)} resource.id:${quote(id)}`;

  useEffect(() => {
    document.title = `${name ?? id} · ${words(kind)} · Trail`;
  }, [name, id, kind]);

  return (
    <div class="entity">
      <nav class="breadcrumb" aria-label="Breadcrumb">
        <Link href="/activity">Activity Logs</Link> <span aria-hidden="true">›</span> <span>{words(kind)}</span>
      </nav>
      <div class="screen-head">
        <div>
          <h1>
            <span class="kind">{words(kind)}</span> {name ?? id}
          </h1>
          <p class="muted">
            Id <code>{id}</code> · <Link href={searchHref(scope)}>its whole history in Activity Logs</Link>
            {can.seesGrantOnly ? null : (
              <>
                {' '}
                ·{' '}
                <Link href={`/usage/history?kind=${encodeURIComponent(kind)}&id=${encodeURIComponent(id)}`}>
                  its data history
                </Link>
              </>
            )}
          </p>
        </div>
        <div class="head-actions">
          <label class="inline-label">
            Last
            <select
              value={String(days)}
              onChange={(e) => setParams({ days: e.currentTarget.value === '7' ? undefined : e.currentTarget.value })}
            >
              {DAY_CHOICES.map((d) => (
                <option key={d} value={String(d)}>
                  {d} days
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      {can.entityUsage ? <Usage kind={kind} id={id} days={days} scope={scope} /> : null}
      <section class="pane" aria-labelledby="activity-title">
        <h2 id="activity-title">Activity</h2>
        <Activity list={list} days={days} scope={scope} openId={openId} onOpen={open} />
      </section>
      {openId ? <EventDetail id={openId} onClose={close} /> : null}
    </div>
  );
}

function Usage({ kind, id, days, scope }: { kind: string; id: string; days: number; scope: string }) {
  const [usage, setUsage] = useState<EntityUsage>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const abort = new AbortController();
    setUsage(undefined);
    setError(undefined);
    entities
      .usage(kind, id, days, abort.signal)
      .then(setUsage)
      .catch((e: unknown) => isAbort(e) || setError(describe(e)));
    return () => abort.abort();
  }, [kind, id, days]);
  return (
    <section class="pane" aria-labelledby="usage-title">
      <h2 id="usage-title">Usage</h2>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!usage && !error ? <div class="loading" aria-busy="true" aria-label="Loading usage" /> : null}
      {usage ? <UsagePane usage={usage} days={days} scope={scope} /> : null}
    </section>
  );
}

interface ActivityProps {
  list: ReturnType<typeof useEventList>;
  days: number;
  scope: string;
  openId: string | undefined;
  onOpen: (e: EventView, row: HTMLElement) => void;
}

function Activity({ list, days, scope, openId, onOpen }: ActivityProps) {
  if (list.error) return <Notice kind="error">{describe(list.error)}</Notice>;
  if (list.loading) return <div class="loading" aria-busy="true" aria-label="Loading activity" />;
  if (!list.events.length) {
    return (
      <EmptyState
        title={`Nothing happened to it in the last ${days} days`}
        actions={
          <Link class="button" href={searchHref(scope)}>
            Search its whole history
          </Link>
        }
      >
        <p>Choose a longer period above, or look further back in Activity Logs.</p>
      </EmptyState>
    );
  }
  return (
    <EventTable
      caption={`Activity of the last ${days} days`}
      events={list.events}
      selected={openId}
      onOpen={onOpen}
      more={list.more}
      loading={list.loadingMore}
      onMore={list.loadMore}
    />
  );
}
