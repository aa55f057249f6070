// Performance (seed 003: "see how long each operation takes"): the slowest
// operations by p90, one operation's p50, p90, p99 and longest run over time
// (the slowest by default; a bar or a row chooses another), every operation in
// a table, and the newest runs that took at least the period's p99.

import { useMemo } from 'preact/hooks';
import { url } from '../../api/client';
import { usage, type Operation, type Performance } from '../../api/usage';
import { navigate } from '../../app/router';
import { DataTable, type Column } from '../../components/DataTable';
import { DetailPanel, Facts, Section } from '../../components/DetailPanel';
import { EventTable } from '../../components/events/EventTable';
import { Link } from '../../components/Link';
import { formatCount, words } from '../../lib/format';
import { quote } from '../../lib/query';
import { barOption, bucketLabel, bucketsOf, bucketKey, lineOption } from './charts';
import { ChartFigure, ms, NothingHere, SpanLine, ViewFrame } from './parts';
import { activityHref, apiQuery, drillDown, parseSel, select, usageHref, type UsageState } from './state';
import type { StateProps, TabProps } from './tab';
import { useView } from './useView';

const TOP_BARS = 15;

export function PerformanceTab({ state }: TabProps) {
  const query = apiQuery(state);
  const view = useView(url('performance', query), (s) => usage.performance(query, s));
  return (
    <ViewFrame
      view={view}
      what="the performance"
      isEmpty={(p) => p.operations.length === 0}
      empty={
        <NothingHere title="Nothing recorded how long it took in this period">
          <p>
            Events with a <code>duration_ms</code> are counted here. Choose a longer date range or fewer filters in the
            toolbox above.
          </p>
        </NothingHere>
      }
    >
      {(p) => <PerformanceBody p={p} state={state} />}
    </ViewFrame>
  );
}

/** An operation's key in the address: type, package, kind and function. */
export const opKey = (o: Operation): string => [o.type, o.package, o.kind, o.function].join('|');
/** How an operation reads: `Churn Predictor (predictive-model-start)`. */
export const opName = (o: Operation): string => (o.label ? `${o.label} (${o.type})` : o.type);

const COLUMNS: Column<Operation>[] = [
  { key: 'name', header: 'Operation', cell: (o) => <span title={opName(o)}>{opName(o)}</span>, class: 'ua-col-name' },
  { key: 'package', header: 'Package', cell: (o) => o.package },
  { key: 'kind', header: 'Kind', cell: (o) => words(o.kind) },
  { key: 'count', header: 'Count', cell: (o) => formatCount(o.durations.count), class: 'ua-num' },
  { key: 'p50', header: 'p50', cell: (o) => ms(o.durations.p50), class: 'ua-num' },
  { key: 'p90', header: 'p90', cell: (o) => ms(o.durations.p90), class: 'ua-num' },
  { key: 'p99', header: 'p99', cell: (o) => ms(o.durations.p99), class: 'ua-num' },
  { key: 'max', header: 'Max', cell: (o) => ms(o.durations.max), class: 'ua-num' },
];

const QUANTILES = [
  { key: 'p50', name: 'p50', color: '#0f766e' },
  { key: 'p90', name: 'p90', color: '#3347b0' },
  { key: 'p99', name: 'p99', color: '#a21caf' },
  { key: 'max', name: 'longest', color: '#c2410c', dashed: true },
] as const;

/** An operation's quantiles per bucket of the window (gaps where it did not run). */
function overTime(p: Performance, o: Operation) {
  const at = new Map(o.per_bucket.map((b) => [bucketKey(b.bucket), b.durations]));
  return QUANTILES.map((q) => ({
    name: q.name,
    color: q.color,
    dashed: 'dashed' in q,
    values: bucketsOf(p.span).map((b) => {
      const v = at.get(bucketKey(b))?.[q.key];
      return v === null || v === undefined ? null : Math.round(v);
    }),
  }));
}

function PerformanceBody({ p, state }: { p: Performance } & StateProps) {
  const sel = parseSel(state.sel);
  const chosen = sel.field === 'op' ? p.operations.find((o) => opKey(o) === sel.value) : undefined;
  const shown = chosen ?? p.operations[0];
  const top = useMemo(() => p.operations.slice(0, TOP_BARS), [p]);
  const bars = useMemo(
    () =>
      barOption({
        names: top.map(opName),
        values: top.map((o) => Math.round(o.durations.p90 ?? 0)),
        unit: 'p90 (ms)',
        selected: chosen ? opName(chosen) : undefined,
        more: (i) => [
          { name: 'p50 (ms)', value: formatCount(Math.round(top[i]?.durations.p50 ?? 0)) },
          { name: 'runs', value: formatCount(top[i]?.durations.count ?? 0) },
        ],
      }),
    [top, chosen],
  );
  const series = useMemo(() => (shown ? overTime(p, shown) : []), [p, shown]);
  const line = useMemo(() => lineOption({ span: p.span, series, suffix: ' ms' }), [p, series]);
  const choose = (o: Operation): void => select(state, `op:${opKey(o)}`);
  return (
    <>
      <SpanLine span={p.span}> · percentiles within 2% of a recorded duration; the longest is exact.</SpanLine>
      <div class="ua-pair">
        <ChartFigure
          title="Slowest operations (p90)"
          note="Click a bar to see the operation over time."
          option={bars}
          height={Math.max(160, 26 * top.length + 36)}
          onClick={(e) => {
            const o = top[e.dataIndex];
            if (o) choose(o);
          }}
          columns={['Operation', 'p90', 'Runs']}
          rows={top.map((o) => ({
            key: `op:${opKey(o)}`,
            cells: [opName(o), ms(o.durations.p90), o.durations.count],
          }))}
          onRow={(k) => {
            const o = top.find((x) => `op:${opKey(x)}` === k);
            if (o) choose(o);
          }}
          selected={state.sel}
        />
        {shown ? (
          <ChartFigure
            title="Duration over time"
            note={`${opName(shown)}${chosen ? '' : ', the slowest; choose another with a bar or a row'}.`}
            option={line}
            height={Math.max(240, 26 * top.length + 36)}
            columns={[p.span.bucket === 'day' ? 'Day (UTC)' : 'Time', ...QUANTILES.map((q) => q.name)]}
            rows={bucketsOf(p.span).map((b, i) => ({
              key: b,
              cells: [bucketLabel(b, p.span.bucket), ...series.map((s) => s.values[i] ?? '—')],
            }))}
          />
        ) : null}
      </div>
      <section class="ua-section" aria-labelledby="ua-ops">
        <h2 id="ua-ops">Every operation, slowest first</h2>
        <DataTable
          caption="Operations by p90 duration"
          columns={COLUMNS}
          rows={p.operations}
          rowKey={opKey}
          selected={chosen ? opKey(chosen) : undefined}
          onOpen={choose}
          more={false}
          loading={false}
        />
      </section>
      <section class="ua-section" aria-labelledby="ua-slowest">
        <h2 id="ua-slowest">Slowest recent runs</h2>
        <p class="muted">The newest events of the period that took at least its p99. Open one in Activity Logs.</p>
        {p.slowest.length ? (
          <EventTable
            caption="Slowest recent runs"
            events={p.slowest}
            onOpen={(e) => navigate(`/activity?event=${encodeURIComponent(e.id)}`)}
            more={false}
            loading={false}
            onMore={() => undefined}
          />
        ) : (
          <p>None.</p>
        )}
      </section>
      {chosen ? <OperationPanel op={chosen} p={p} state={state} /> : null}
    </>
  );
}

function OperationPanel({ op, p, state }: { op: Operation; p: Performance; state: UsageState }) {
  const d = op.durations;
  const slow = p.slowest.filter((e) => e.type === op.type && (!op.function || e.resource?.id === op.function));
  const terms = [`type:${quote(op.type)}`, op.function ? `resource.id:${quote(op.function)}` : ''].filter(Boolean);
  return (
    <DetailPanel
      title={op.label || op.type}
      subtitle={`${op.type}${op.package ? ` · ${op.package}` : ''}`}
      onClose={() => select(state, '')}
    >
      <Section title="In this period">
        <Facts
          rows={[
            ['Runs', formatCount(d.count)],
            ['p50', ms(d.p50)],
            ['p90', ms(d.p90)],
            ['p99', ms(d.p99)],
            ['Longest', ms(d.max)],
            ['Among the slowest recent runs', formatCount(slow.length)],
          ]}
        />
      </Section>
      <Section title="Details">
        <div class="ua-actions">
          {op.package && op.label ? (
            <button
              type="button"
              class="button primary"
              onClick={() => drillDown(state, 'functions', 'package', op.package, `function:${op.package}:${op.label}`)}
            >
              Details: its runs
            </button>
          ) : null}
          {op.function && op.kind ? (
            <Link
              class="button"
              href={usageHref({ tab: 'history', filters: state.filters, extra: { kind: op.kind, id: op.function } })}
            >
              Data history
            </Link>
          ) : null}
          <Link
            class="button"
            href={activityHref(state.filters, [...terms, `duration:>=${Math.round(d.p90 ?? 0)}ms`].join(' '))}
          >
            Its slow runs in Activity Logs
          </Link>
        </div>
      </Section>
    </DetailPanel>
  );
}
