// Activity Logs (seed 004): everything that happens in the account, newest
// first; filters, the search box, one entry's details, export and live mode.
// The address holds the filters, the search and the open entry.

import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { events as api } from '../../api/endpoints';
import { ApiError, describe } from '../../api/errors';
import type { EventView } from '../../api/types';
import { setParams } from '../../app/router';
import type { ScreenProps } from '../../app/routes';
import { useSession } from '../../app/session';
import { EventDetail } from '../../components/events/EventDetail';
import { EventTable } from '../../components/events/EventTable';
import { useEventList } from '../../components/events/useEventList';
import { Notice } from '../../components/Notice';
import { viewerZone } from '../../lib/format';
import { ActivityFilters } from './ActivityFilters';
import { FirstEvent, NoEvents, NoMatches, onlyTrailsOwn } from './Empty';
import { ExportDialog } from './ExportDialog';
import { filterParams, hasFilters, NO_FILTERS, readFilters, toQuery, type Filters } from './filters';
import { SearchBox, type SearchError } from './SearchBox';
import { loadVocabulary, type Vocabulary } from './vocabulary';

const PAGE = 50;

export function ActivityLogs({ place }: ScreenProps) {
  const { me, can } = useSession();
  const filters = useMemo(() => readFilters(place.params), [place.params]);
  const query = toQuery(filters);
  const live = place.params.get('live') === '1';
  const openId = place.params.get('event') ?? undefined;
  const vocabulary = useVocabulary(`${me.account}/${me.login ?? ''}`, can.listPeople);
  const [exporting, setExporting] = useState(false);
  const [status, setStatus] = useState<string>();
  const opener = useRef<HTMLElement | null>(null);

  const fetchPage = useCallback(
    (cursor: string | null, signal: AbortSignal) => api.search({ q: query, limit: PAGE, cursor, signal }),
    [query],
  );
  const list = useEventList(query, fetchPage, live);

  const change = (patch: Partial<Filters>): void => setParams(filterParams(patch));
  const open = (e: EventView, row: HTMLElement): void => {
    opener.current = row;
    setParams({ event: e.id }, { replace: !!openId });
  };
  const close = useCallback(() => {
    // A step of its own, so that Back opens the entry again.
    setParams({ event: undefined }, { replace: false });
    // Back to the row the entry was opened from, for keyboard users.
    requestAnimationFrame(() => opener.current?.focus());
  }, []);

  const searchError = searchProblem(list.error, query);
  return (
    <div class="activity">
      <div class="screen-head">
        <div>
          <h1>Activity Logs</h1>
          <p class="muted">
            {can.seesOnlyOwn ? 'Your own activity' : 'Everything that happens in your account'}, newest first. Times are
            in {viewerZone}.
          </p>
        </div>
        <div class="head-actions">
          <button
            type="button"
            class={`button live-toggle ${live ? 'is-on' : ''}`}
            aria-pressed={live}
            onClick={() => setParams({ live: live ? undefined : '1' })}
            title="Show new events as they arrive"
          >
            <span class="live-dot" aria-hidden="true" />
            {live ? 'Live' : 'Go live'}
          </button>
          {can.export ? (
            <button type="button" class="button" onClick={() => setExporting(true)} disabled={!!searchError}>
              Export
            </button>
          ) : null}
        </div>
      </div>
      <SearchBox
        value={filters.text}
        vocabulary={vocabulary}
        onSubmit={(text) => change({ text })}
        error={searchError}
      />
      <div class="filter-row">
        <ActivityFilters
          filters={filters}
          vocabulary={vocabulary}
          onChange={change}
          seesOthers={!can.seesOnlyOwn}
          signedInAs={me.login}
        />
        {hasFilters(filters) ? (
          <button type="button" class="link-button" onClick={() => change(NO_FILTERS)}>
            Clear all
          </button>
        ) : null}
      </div>
      <div class="sr-status" role="status" aria-live="polite">
        {list.fresh.size ? `${list.fresh.size} new events.` : ''}
      </div>
      {status ? (
        <Notice
          kind="info"
          action={
            <button type="button" class="link-button" onClick={() => setStatus(undefined)}>
              Dismiss
            </button>
          }
        >
          {status}
        </Notice>
      ) : null}
      {live && list.liveProblem ? (
        <Notice kind="warning">Live updates paused: {list.liveProblem} Retrying…</Notice>
      ) : null}
      <Results list={list} query={query} searchError={searchError} selected={openId} onOpen={open} filters={filters} />
      {openId ? <EventDetail id={openId} onClose={close} /> : null}
      {exporting ? <ExportDialog filters={filters} onClose={() => setExporting(false)} onStarted={setStatus} /> : null}
    </div>
  );
}

interface ResultsProps {
  list: ReturnType<typeof useEventList>;
  query: string;
  searchError: SearchError | undefined;
  selected: string | undefined;
  onOpen: (e: EventView, row: HTMLElement) => void;
  filters: Filters;
}

function Results({ list, query, searchError, selected, onOpen, filters }: ResultsProps) {
  const { can } = useSession();
  if (searchError) return null; // the search box shows it
  if (list.error) {
    return (
      <Notice kind="error" title="The events could not be loaded">
        {describe(list.error)}
      </Notice>
    );
  }
  if (list.loading) return <div class="loading" aria-busy="true" aria-label="Loading events" />;
  if (!list.events.length) {
    return hasFilters(filters) ? (
      <NoMatches query={query} onClear={() => setParams(filterParams(NO_FILTERS))} />
    ) : (
      <NoEvents />
    );
  }
  const newServer = can.administer && !hasFilters(filters) && !list.more && onlyTrailsOwn(list.events);
  return (
    <>
      {newServer ? <FirstEvent /> : null}
      <EventTable
        caption={query ? `Events matching ${query}` : 'All events'}
        events={list.events}
        selected={selected}
        fresh={list.fresh}
        onOpen={onOpen}
        more={list.more}
        loading={list.loadingMore}
        onMore={list.loadMore}
      />
    </>
  );
}

/** A search the server could not understand, for the search box to show. */
function searchProblem(error: Error | undefined, query: string): SearchError | undefined {
  if (!(error instanceof ApiError) || error.code !== 'invalid_query') return undefined;
  return { message: error.message, column: error.column, query };
}

function useVocabulary(who: string, withPeople: boolean): Vocabulary | undefined {
  const [vocabulary, setVocabulary] = useState<Vocabulary>();
  useEffect(() => {
    // Suggestions are a help, not a need: without them the screen still works.
    loadVocabulary(who, withPeople).then(setVocabulary, () => undefined);
  }, [who, withPeople]);
  return vocabulary;
}
