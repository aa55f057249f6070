// Packages (seed 003): people per package linked with the scatter plot of
// package × time × person, a table of every package, and the context panel of
// the selected package (totals, functions, log and audit summaries) with
// Details buttons that drill into Functions, Events and Errors.

import { useMemo } from 'preact/hooks';
import { url } from '../../api/client';
import { usage, type Dot, type PackageSummary, type Packages } from '../../api/usage';
import { DataTable, type Column } from '../../components/DataTable';
import { DetailPanel, Facts, Section } from '../../components/DetailPanel';
import { Link } from '../../components/Link';
import { formatCount, formatTime } from '../../lib/format';
import { bucketLabel } from './charts';
import { MiniTable, NothingHere, SpanLine, ViewFrame } from './parts';
import { peopleIndex, ScatterBoard, selectedDot } from './ScatterBoard';
import { activityHref, apiQuery, drillDown, parseSel, select, type UsageState } from './state';
import type { StateProps, TabProps } from './tab';
import { useView } from './useView';

export function PackagesTab({ state }: TabProps) {
  const query = apiQuery(state);
  const view = useView(url('packages', query), (s) => usage.packages(query, s));
  return (
    <ViewFrame
      view={view}
      what="the packages"
      isEmpty={(p) => p.packages.length === 0}
      empty={
        <NothingHere title="No package was used in this period">
          <p>
            Events name their package in the <code>package</code> field. Choose a longer date range or fewer filters in
            the toolbox above.
          </p>
        </NothingHere>
      }
    >
      {(p) => <PackagesBody p={p} state={state} />}
    </ViewFrame>
  );
}

const day = (iso: string | undefined): string => (iso ? formatTime(iso).slice(0, 10) : '');

const COLUMNS: Column<PackageSummary>[] = [
  { key: 'package', header: 'Package', cell: (p) => p.package, class: 'ua-col-name' },
  { key: 'events', header: 'Events', cell: (p) => formatCount(p.events), class: 'ua-num' },
  { key: 'users', header: 'People', cell: (p) => formatCount(p.users), class: 'ua-num' },
  { key: 'failures', header: 'Failed', cell: (p) => formatCount(p.failures), class: 'ua-num' },
  { key: 'functions', header: 'Functions run', cell: (p) => formatCount(p.functions.length), class: 'ua-num' },
  { key: 'first', header: 'First used', cell: (p) => day(p.used?.first) },
  { key: 'last', header: 'Last used', cell: (p) => day(p.used?.last) },
];

function PackagesBody({ p, state }: { p: Packages } & StateProps) {
  const rows = useMemo(() => p.packages.map((x) => ({ name: x.package, value: x.events })), [p]);
  const sel = parseSel(state.sel);
  const chosen = sel.field === 'package' ? p.packages.find((x) => x.package === sel.value) : undefined;
  return (
    <>
      <SpanLine span={p.span} />
      <ScatterBoard
        state={state}
        answer={p}
        field="package"
        noun="package"
        unit="events"
        rows={rows}
        barUnit="events"
      />
      <section class="ua-section" aria-labelledby="ua-packages">
        <h2 id="ua-packages">Every package</h2>
        <DataTable
          caption="Packages in this period"
          columns={COLUMNS}
          rows={p.packages}
          rowKey={(x) => x.package}
          selected={chosen?.package}
          onOpen={(x) => select(state, `package:${x.package}`)}
          more={false}
          loading={false}
        />
      </section>
      {chosen ? (
        <PackagePanel
          pkg={chosen}
          dot={selectedDot(p.dots, chosen.package, state.dot)}
          people={p.people}
          span={p.span.bucket}
          state={state}
        />
      ) : null}
    </>
  );
}

interface PanelProps {
  pkg: PackageSummary;
  dot: Dot | undefined;
  people: Packages['people'];
  span: Packages['span']['bucket'];
  state: UsageState;
}

function PackagePanel({ pkg, dot, people, span, state }: PanelProps) {
  const who = peopleIndex(people);
  const entries = (m: Record<string, number>): [string, string][] =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, formatCount(v)]);
  return (
    <DetailPanel title={pkg.package} subtitle="Package" onClose={() => select(state, '')}>
      {dot ? (
        <Section title="Selected point">
          <Facts
            rows={[
              ['Person', who.get(dot.user)?.label ?? dot.user],
              [span === 'day' ? 'Day (UTC)' : 'Time', bucketLabel(dot.bucket, span)],
              ['Events', formatCount(dot.events)],
            ]}
          />
          <Link
            href={activityHref(state.filters, `package:${pkg.package} user:${who.get(dot.user)?.label ?? dot.user}`)}
          >
            These events in Activity Logs
          </Link>
        </Section>
      ) : null}
      <Section title="In this period">
        <Facts
          rows={[
            ['Events', formatCount(pkg.events)],
            ['People', formatCount(pkg.users)],
            ['Failed', formatCount(pkg.failures)],
            ['First used', day(pkg.used?.first)],
            ['Last used', day(pkg.used?.last)],
          ]}
        />
        <div class="ua-actions">
          <button
            type="button"
            class="button primary"
            onClick={() => drillDown(state, 'functions', 'package', pkg.package)}
          >
            Details: its functions
          </button>
          <button type="button" class="button" onClick={() => drillDown(state, 'events', 'package', pkg.package)}>
            Its events
          </button>
          <button type="button" class="button" onClick={() => drillDown(state, 'errors', 'package', pkg.package)}>
            Its errors
          </button>
        </div>
      </Section>
      <Section title="Functions">
        {pkg.functions.length ? (
          <MiniTable
            label="Functions of the package"
            columns={[{ header: 'Function' }, { header: 'Runs', num: true }, { header: 'People', num: true }]}
            rows={pkg.functions.map((f) => ({
              key: f.name,
              cells: [
                <button
                  type="button"
                  class="link-button"
                  onClick={() => drillDown(state, 'functions', 'package', pkg.package, `function:${f.name}`)}
                >
                  {f.name}
                </button>,
                formatCount(f.events),
                formatCount(f.users),
              ],
            }))}
          />
        ) : (
          <p class="muted">No function of the package ran in this period.</p>
        )}
      </Section>
      <Section title="Log summary (events per level)">
        <Facts rows={entries(pkg.levels)} />
      </Section>
      <Section title="Audit summary (events per action)">
        <Facts rows={entries(pkg.actions)} />
      </Section>
    </DetailPanel>
  );
}
