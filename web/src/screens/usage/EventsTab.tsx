// Events (seed 003): where events come from (client or server) over time, of
// which level, the most frequent types, and each person's events per source.
// A type's bar narrows the people chart to the people who did it; every chart
// element opens the context panel with its figures and where to go next.

import { useMemo } from 'preact/hooks';
import { url } from '../../api/client';
import { usage, type Events, type Series } from '../../api/usage';
import { DetailPanel, Facts, Section } from '../../components/DetailPanel';
import type { ECElementEvent } from '../../components/chart/echarts';
import { Link } from '../../components/Link';
import { formatCount } from '../../lib/format';
import { quote } from '../../lib/query';
import { barOption, bucketLabel, bucketsOf, lineOption, perBucket } from './charts';
import { ChartFigure, LinkedNote, NothingHere, percent, Sparkline, SpanLine, ViewFrame } from './parts';
import { activityHref, apiQuery, drillDown, parseSel, select, type UsageState } from './state';
import type { StateProps, TabProps } from './tab';
import { useView, type View } from './useView';

const TOP = 12;
const SOURCES = ['client', 'server'];
const SOURCE_COLORS: Record<string, string> = { client: '#c2410c', server: '#3347b0' };

export function EventsTab({ state }: TabProps) {
  const query = apiQuery(state, { top: TOP });
  const view = useView(url('events', query), (s) => usage.events(query, s));
  // The linked chart: with a type selected, the people who did it.
  const sel = parseSel(state.sel);
  const typeQuery = sel.field === 'type' ? { ...query, types: sel.value } : undefined;
  const ofType = useView(typeQuery ? url('events', typeQuery) : '', (s) => usage.events(typeQuery ?? query, s));
  return (
    <ViewFrame
      view={view}
      what="the events"
      isEmpty={(e) => e.by_source.every((s) => s.total === 0)}
      empty={<NothingHere title="No events in this period" />}
    >
      {(e) => <EventsBody e={e} ofType={ofType} state={state} />}
    </ViewFrame>
  );
}

/** Series over the window's buckets, for a line chart and its table. */
function lines(e: Events, series: Series[], colors: Record<string, string> = {}) {
  return series.map((s) => ({ name: s.key, values: perBucket(e.span, s.points), color: colors[s.key] }));
}

function timeRows(e: Events, series: Series[]) {
  const values = series.map((s) => perBucket(e.span, s.points));
  return bucketsOf(e.span).map((b, i) => ({
    key: b,
    cells: [bucketLabel(b, e.span.bucket), ...values.map((v) => v[i] ?? 0)],
  }));
}

function EventsBody({ e, ofType, state }: { e: Events; ofType: View<Events> } & StateProps) {
  const sel = parseSel(state.sel);
  const sources = useMemo(() => lineOption({ span: e.span, series: lines(e, e.by_source, SOURCE_COLORS) }), [e]);
  const levels = useMemo(
    () => lineOption({ span: e.span, series: lines(e, e.by_level), stacked: true, area: true }),
    [e],
  );
  const types = useMemo(
    () =>
      barOption({
        names: e.by_type.map((t) => t.key),
        values: e.by_type.map((t) => t.total),
        unit: 'events',
        selected: sel.field === 'type' ? sel.value : undefined,
      }),
    [e, sel.field, sel.value],
  );
  const typed = sel.field === 'type' ? ofType.data : undefined;
  const people = typed?.by_user ?? e.by_user;
  const marked = sel.field === 'user' ? sel.value : undefined;
  const perPerson = useMemo(() => personOption(people, marked), [people, marked]);
  const onSeries =
    (field: string) =>
    (ev: ECElementEvent): void => {
      if (ev.seriesName) select(state, `${field}:${ev.seriesName}`);
    };
  const timeHead = e.span.bucket === 'day' ? 'Day (UTC)' : 'Time';
  return (
    <>
      <SpanLine span={e.span} />
      <div class="ua-pair">
        <ChartFigure
          title="Events per source over time"
          note="Client: sent from the browser; server: by your services. Click a line for its figures."
          option={sources}
          height={240}
          onClick={onSeries('source')}
          columns={[timeHead, ...e.by_source.map((s) => s.key)]}
          rows={timeRows(e, e.by_source)}
        />
        <ChartFigure
          title="Events per level over time"
          note="Stacked. Click an area for its figures."
          option={levels}
          height={240}
          onClick={onSeries('level')}
          columns={[timeHead, ...e.by_level.map((s) => s.key)]}
          rows={timeRows(e, e.by_level)}
        />
      </div>
      <div class="ua-pair">
        <ChartFigure
          title="Most frequent event types"
          note="Click a bar to see who did it."
          option={types}
          height={Math.max(160, 26 * e.by_type.length + 36)}
          onClick={(ev) => {
            const t = e.by_type[ev.dataIndex]?.key;
            if (t) select(state, `type:${t}`);
          }}
          columns={['Event type', 'Events']}
          rows={e.by_type.map((t) => ({ key: `type:${t.key}`, cells: [t.key, t.total] }))}
          onRow={(k) => select(state, k)}
          selected={state.sel}
        />
        <ChartFigure
          title={typed ? `People who did ${sel.value}` : 'Events per person and source'}
          note={
            typed ? (
              <LinkedNote what={`event type`} onClear={() => select(state, '')} />
            ) : (
              'The most active people. Click a bar for their figures.'
            )
          }
          option={perPerson}
          height={Math.max(160, 26 * people.length + 60)}
          onClick={(ev) => {
            const login = people[ev.dataIndex]?.user.login;
            if (login) select(state, `user:${login}`);
          }}
          columns={['Person', ...SOURCES]}
          rows={people.map((p) => ({
            key: `user:${p.user.login}`,
            cells: [p.user.login, ...SOURCES.map((s) => p.sources[s] ?? 0)],
          }))}
          onRow={(k) => select(state, k)}
          selected={state.sel}
        />
      </div>
      {sel.field ? <EventsPanel e={e} ofType={typed} state={state} /> : null}
    </>
  );
}

/** Each person's events, client and server stacked. */
function personOption(people: Events['by_user'], selected: string | undefined) {
  const base = barOption({
    names: people.map((p) => p.user.login),
    values: people.map((p) => SOURCES.reduce((n, s) => n + (p.sources[s] ?? 0), 0)),
    unit: 'events',
    selected,
  });
  return {
    ...base,
    legend: { top: 0, right: 0, itemWidth: 12, itemHeight: 10 },
    grid: { ...(base.grid as object), top: 26 },
    tooltip: { trigger: 'axis' as const, confine: true, axisPointer: { type: 'shadow' as const } },
    series: SOURCES.map((s) => ({
      type: 'bar' as const,
      name: s,
      stack: 'sources',
      color: SOURCE_COLORS[s],
      cursor: 'pointer',
      data: people.map((p) => ({
        value: p.sources[s] ?? 0,
        itemStyle: selected && p.user.login !== selected ? { opacity: 0.45 } : {},
      })),
    })),
  };
}

function EventsPanel({ e, ofType, state }: { e: Events; ofType: Events | undefined; state: UsageState }) {
  const { field, value } = parseSel(state.sel);
  const all = e.by_source.reduce((n, s) => n + s.total, 0);
  const close = (): void => select(state, '');
  const series =
    field === 'source'
      ? e.by_source.find((s) => s.key === value)
      : field === 'level'
        ? e.by_level.find((s) => s.key === value)
        : field === 'type'
          ? e.by_type.find((s) => s.key === value)
          : undefined;
  if (series) {
    const term = `${field}:${quote(value)}`;
    return (
      <DetailPanel
        title={value}
        subtitle={{ source: 'Source', level: 'Level', type: 'Event type' }[field]}
        onClose={close}
      >
        <Section title="In this period">
          <Facts
            rows={[
              ['Events', formatCount(series.total)],
              ['Share of all events', all ? percent(series.total / all) : ''],
              ['People', field === 'type' ? <TypePeople state={state} type={value} /> : ''],
            ]}
          />
          <Sparkline values={perBucket(e.span, series.points)} label={`${value} per ${e.span.bucket}`} />
        </Section>
        <Section title="Details">
          <div class="ua-actions">
            {field === 'type' ? (
              <>
                <button
                  type="button"
                  class="button primary"
                  onClick={() => drillDown(state, 'performance', 'type', value)}
                >
                  Details: how long it takes
                </button>
                <button type="button" class="button" onClick={() => drillDown(state, 'errors', 'type', value)}>
                  Its errors
                </button>
              </>
            ) : null}
            <Link class="button" href={activityHref(state.filters, term)}>
              In Activity Logs
            </Link>
          </div>
        </Section>
      </DetailPanel>
    );
  }
  if (field === 'user') {
    const person = (ofType ?? e).by_user.find((p) => p.user.login === value);
    return (
      <DetailPanel title={person?.user.name ?? value} subtitle={value} onClose={close}>
        <Section title="In this period">
          <Facts rows={SOURCES.map((s) => [`Events from the ${s}`, formatCount(person?.sources[s] ?? 0)])} />
        </Section>
        <Section title="Details">
          <div class="ua-actions">
            <button type="button" class="button primary" onClick={() => drillDown(state, 'packages', 'user', value)}>
              Details: their packages
            </button>
            <button type="button" class="button" onClick={() => drillDown(state, 'errors', 'user', value)}>
              Their errors
            </button>
            <Link class="button" href={activityHref(state.filters, `user:${quote(value)}`)}>
              In Activity Logs
            </Link>
          </div>
        </Section>
      </DetailPanel>
    );
  }
  return null;
}

/** How many people did a type: the overview's active people, narrowed to it. */
function TypePeople({ state, type }: { state: UsageState; type: string }) {
  const query = apiQuery(state, { types: type, top: 1 });
  const view = useView(url('overview', query), (s) => usage.overview(query, s));
  return <>{view.data ? formatCount(view.data.cards.active_users.current) : '…'}</>;
}
