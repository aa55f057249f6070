// Errors (seed 003: "see all errors across the platform; see which actions
// are causing the errors"): errors over time and per package (a package's bar
// narrows the list), the groups by signature with their trend, and one group's
// context panel: where it happens, the actions that came before it in the
// same sessions, and its newest occurrences, each opening in Activity Logs.

import { useMemo } from 'preact/hooks';
import { url } from '../../api/client';
import { navigate } from '../../app/router';
import { usage, type ErrorDetail, type ErrorGroup, type Errors } from '../../api/usage';
import { DataTable, type Column } from '../../components/DataTable';
import { DetailPanel, Facts, Section } from '../../components/DetailPanel';
import { Link } from '../../components/Link';
import { Notice } from '../../components/Notice';
import { actorLabel, formatCount, formatTime, resourceLabel } from '../../lib/format';
import { barOption, bucketLabel, bucketsOf, lineOption, perBucket } from './charts';
import { ChartFigure, LinkedNote, MiniTable, NothingHere, percent, Sparkline, SpanLine, ViewFrame } from './parts';
import { activityHref, apiQuery, drillDown, parseSel, select, usageHref, type UsageState } from './state';
import type { StateProps, TabProps } from './tab';
import { useView } from './useView';

export function ErrorsTab({ state }: TabProps) {
  const query = apiQuery(state);
  const view = useView(url('errors', query), (s) => usage.errors(query, s));
  return (
    <ViewFrame
      view={view}
      what="the errors"
      isEmpty={(e) => e.groups.length === 0}
      empty={
        <NothingHere title="No errors in this period">
          <p>Nothing failed with an error here. Choose a longer date range or fewer filters to look further.</p>
        </NothingHere>
      }
    >
      {(e) => <ErrorsBody e={e} state={state} />}
    </ViewFrame>
  );
}

const day = (iso: string): string => formatTime(iso).slice(0, 10);
const short = (signature: string): string => signature.slice(0, 12);

/** Where a group happens, in a few words: its top function, else its top package. */
const where = (g: ErrorGroup): string => g.functions[0]?.name ?? g.packages[0]?.name ?? '';

function columns(e: Errors): Column<ErrorGroup>[] {
  return [
    {
      key: 'message',
      header: 'Error',
      cell: (g) => (
        <span title={g.message}>
          {g.regressed ? <span class="ua-badge is-bad">regressed</span> : null} {g.message}
        </span>
      ),
      class: 'ua-col-message',
    },
    { key: 'count', header: 'Count', cell: (g) => formatCount(g.occurrences), class: 'ua-num' },
    { key: 'users', header: 'People', cell: (g) => formatCount(g.users), class: 'ua-num' },
    { key: 'sessions', header: 'Sessions', cell: (g) => formatCount(g.sessions), class: 'ua-num' },
    {
      key: 'trend',
      header: 'Trend',
      cell: (g) => <Sparkline values={perBucket(e.span, g.trend)} label={`${g.occurrences} in this period`} />,
    },
    { key: 'first', header: 'First seen', cell: (g) => day(g.first_seen) },
    { key: 'last', header: 'Last seen', cell: (g) => day(g.last_seen) },
    { key: 'where', header: 'Where', cell: (g) => <span title={where(g)}>{where(g)}</span> },
  ];
}

function ErrorsBody({ e, state }: { e: Errors } & StateProps) {
  const sel = parseSel(state.sel);
  const pick = parseSel(state.pick);
  const chosen = sel.field === 'signature' ? e.groups.find((g) => g.signature === sel.value) : undefined;
  const inPackage = pick.field === 'package' ? pick.value : undefined;
  const groups = inPackage ? e.groups.filter((g) => g.packages.some((p) => p.name === inPackage)) : e.groups;

  const perPackage = useMemo(() => {
    const sums = new Map<string, number>();
    for (const g of e.groups) for (const p of g.packages) sums.set(p.name, (sums.get(p.name) ?? 0) + p.events);
    return [...sums.entries()].sort((a, b) => b[1] - a[1]);
  }, [e]);
  const bars = useMemo(
    () =>
      barOption({
        names: perPackage.map(([name]) => name),
        values: perPackage.map(([, n]) => n),
        unit: 'errors',
        selected: inPackage,
      }),
    [perPackage, inPackage],
  );
  const total = useMemo(() => {
    const sum = new Array<number>(perBucket(e.span, []).length).fill(0);
    for (const g of groups) perBucket(e.span, g.trend).forEach((v, i) => (sum[i] = (sum[i] ?? 0) + v));
    return sum;
  }, [e, groups]);
  const trend = useMemo(
    () =>
      lineOption({
        span: e.span,
        series: [
          { name: inPackage ? `Errors in ${inPackage}` : 'All errors', values: total, color: '#b42318' },
          ...(chosen ? [{ name: 'Selected error', values: perBucket(e.span, chosen.trend), color: '#3347b0' }] : []),
        ],
        area: true,
      }),
    [e, total, chosen, inPackage],
  );
  const pickPackage = (name: string): void =>
    navigate(
      usageHref({
        tab: 'errors',
        filters: state.filters,
        drill: state.drill,
        pick: inPackage === name ? '' : `package:${name}`,
        sel: state.sel,
      }),
    );
  return (
    <>
      <SpanLine span={e.span}>
        {' '}
        · a group is the same stack trace, numbers and addresses aside; <em>regressed</em>: back after {e.quiet_days}{' '}
        quiet days.
      </SpanLine>
      <div class="ua-pair">
        <ChartFigure
          title="Errors over time"
          note={chosen ? 'With the selected error.' : 'Choose an error below to compare its trend.'}
          option={trend}
          height={220}
          columns={[e.span.bucket === 'day' ? 'Day (UTC)' : 'Time', 'Errors']}
          rows={bucketsOf(e.span).map((b, i) => ({ key: b, cells: [bucketLabel(b, e.span.bucket), total[i] ?? 0] }))}
        />
        <ChartFigure
          title="Errors per package"
          note={
            inPackage ? (
              <LinkedNote what={`package ${inPackage}`} onClear={() => pickPackage(inPackage)} />
            ) : (
              'Click a bar to list only that package’s errors.'
            )
          }
          option={bars}
          height={Math.max(160, 26 * perPackage.length + 36)}
          onClick={(ev) => {
            const name = perPackage[ev.dataIndex]?.[0];
            if (name) pickPackage(name);
          }}
          columns={['Package', 'Errors']}
          rows={perPackage.map(([name, n]) => ({ key: name, cells: [name, n] }))}
          onRow={pickPackage}
          selected={inPackage}
        />
      </div>
      <section class="ua-section" aria-labelledby="ua-groups">
        <h2 id="ua-groups">
          {inPackage ? `Errors in ${inPackage}` : 'All errors'}, by signature ({formatCount(groups.length)})
        </h2>
        <DataTable
          caption="Error groups, most frequent first"
          columns={columns(e)}
          rows={groups}
          rowKey={(g) => g.signature}
          selected={chosen?.signature}
          onOpen={(g) => select(state, `signature:${g.signature}`)}
          more={false}
          loading={false}
        />
      </section>
      {chosen ? <ErrorPanel group={chosen} state={state} /> : null}
    </>
  );
}

function ErrorPanel({ group, state }: { group: ErrorGroup; state: UsageState }) {
  const query = apiQuery(state);
  const view = useView(url(`errors/${group.signature}`, query), (s) => usage.error(group.signature, query, s));
  return (
    <DetailPanel
      key={group.signature}
      title={group.message}
      subtitle={
        <>
          Error group <code>{short(group.signature)}</code>
          {group.regressed ? <span class="ua-badge is-bad">regressed</span> : null}
        </>
      }
      onClose={() => select(state, '')}
    >
      <Section title="In this period">
        <Facts
          rows={[
            ['Occurrences', formatCount(group.occurrences)],
            ['People hit', formatCount(group.users)],
            ['Sessions hit', formatCount(group.sessions)],
            ['First seen', formatTime(group.first_seen)],
            ['Last seen', formatTime(group.last_seen)],
          ]}
        />
        <div class="ua-actions">
          <Link class="button" href={activityHref(state.filters, `signature:${group.signature}`)}>
            All occurrences in Activity Logs
          </Link>
        </div>
      </Section>
      <Section title="Where">
        <Facts
          rows={[
            ['Packages', group.packages.map((p) => `${p.name} (${formatCount(p.events)})`).join(', ')],
            ['Functions', group.functions.map((p) => `${p.name} (${formatCount(p.events)})`).join(', ')],
            ['Event types', group.types.map((p) => `${p.name} (${formatCount(p.events)})`).join(', ')],
          ]}
        />
        {group.packages[0] ? (
          <button
            type="button"
            class="button"
            onClick={() => drillDown(state, 'functions', 'package', group.packages[0]?.name ?? '')}
          >
            Details: functions of {group.packages[0].name}
          </button>
        ) : null}
      </Section>
      {view.error ? <Notice kind="error">{view.error}</Notice> : null}
      {!view.data && !view.error ? <div class="loading" aria-busy="true" aria-label="Loading the error" /> : null}
      {view.data ? <Preceding d={view.data} /> : null}
      {view.data ? <Occurrences d={view.data} /> : null}
    </DetailPanel>
  );
}

/** The actions before the error: seed 003's "which actions are causing the errors". */
function Preceding({ d }: { d: ErrorDetail }) {
  const rows = [...d.preceding].sort((a, b) => (b.lift ?? 0) * b.occurrences - (a.lift ?? 0) * a.occurrences);
  return (
    <Section title="Actions before it">
      <p class="muted">
        Event types in the same session up to {Math.round(d.window_seconds / 60)} minutes before {d.studied} of its
        newest occurrences. Lift above 1: more common just before the error than in general.
      </p>
      {rows.length ? (
        <MiniTable
          label="Actions before the error"
          columns={[
            { header: 'Event type' },
            { header: 'Before', num: true },
            { header: 'Share', num: true },
            { header: 'Lift', num: true },
          ]}
          rows={rows.map((p) => ({
            key: p.type,
            marked: p.lift !== null && p.lift >= 2,
            cells: [
              p.type,
              formatCount(p.occurrences),
              percent(p.share),
              p.lift === null ? '—' : `×${p.lift.toFixed(1)}`,
            ],
          }))}
        />
      ) : (
        <p>Nothing came before it in the same sessions: it happened first thing, or outside any session.</p>
      )}
    </Section>
  );
}

function Occurrences({ d }: { d: ErrorDetail }) {
  return (
    <Section title={`Newest occurrences (${formatCount(d.occurrences.length)})`}>
      <ol class="ua-runs" aria-label="Newest occurrences">
        {d.occurrences.map((e) => (
          <li key={e.id}>
            <div class="ua-runs-head">
              <Link href={`/activity?event=${encodeURIComponent(e.id)}`} title="Open in Activity Logs">
                <time dateTime={e.occurred_at}>{formatTime(e.occurred_at)}</time>
              </Link>
              <span>{actorLabel(e.actor)}</span>
              <span class="muted">{e.resource ? resourceLabel(e.resource) : e.type}</span>
            </div>
          </li>
        ))}
      </ol>
    </Section>
  );
}
