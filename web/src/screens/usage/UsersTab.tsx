// Users (seed 003: "cluster usage by usage patterns; correlate usage patterns
// with the organizational groups"): the clusters with the event types that set
// them apart and their people, the viewer's own cluster, and the clusters set
// against the groups: people per group and cluster, chi-square and Cramér's V.

import { useMemo } from 'preact/hooks';
import { url } from '../../api/client';
import { usage, type Cluster, type Patterns } from '../../api/usage';
import { DetailPanel, Facts, Section } from '../../components/DetailPanel';
import { formatCount } from '../../lib/format';
import { personColor } from './charts';
import { ChartFigure, MiniTable, NothingHere, percent, SpanLine, ViewFrame } from './parts';
import { drillDown, parseSel, select, apiQuery, type UsageState } from './state';
import type { StateProps, TabProps } from './tab';
import { useView } from './useView';
import type { ChartOption } from '../../components/chart/echarts';
import { tooltip } from '../../components/chart/tooltip';

export function UsersTab({ state }: TabProps) {
  const query = apiQuery(state);
  const view = useView(url('patterns', query), (s) => usage.patterns(query, s));
  return (
    <ViewFrame
      view={view}
      what="the usage patterns"
      isEmpty={(p) => p.clusters.length === 0}
      empty={
        <NothingHere title="Too few people to cluster in this period">
          <p>
            People with at least 20 events are clustered, and it takes a few of them. Choose a longer date range or
            fewer filters in the toolbox above.
          </p>
        </NothingHere>
      }
    >
      {(p) => <UsersBody p={p} state={state} />}
    </ViewFrame>
  );
}

export const clusterName = (c: Pick<Cluster, 'id'>): string => `Cluster ${c.id}`;

/** How strongly the groups go with the clusters, in words. */
function strength(v: number): string {
  if (v >= 0.8) return 'the group all but decides the cluster';
  if (v >= 0.5) return 'the groups go strongly with the clusters';
  if (v >= 0.25) return 'the groups go somewhat with the clusters';
  return 'the groups say little about the clusters';
}

/** Stacked bars: each cluster's people, by group. */
function byGroupOption(p: Patterns, selected: number | undefined): ChartOption {
  const names = p.clusters.map((c) => `${clusterName(c)}${c.id === p.yours ? ' (yours)' : ''}`);
  const g = p.by_group;
  return {
    grid: { left: 44, right: 12, top: 36, bottom: 28 },
    legend: { type: 'scroll', top: 0, left: 0, right: 0, itemWidth: 12, itemHeight: 10 },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (x) => {
        const item = Array.isArray(x) ? x[0] : x;
        return tooltip(names[item?.dataIndex ?? 0] ?? '', [
          { name: item?.seriesName ?? '', value: formatCount(Number(item?.value ?? 0)) },
        ]);
      },
    },
    xAxis: { type: 'category', data: names },
    yAxis: { type: 'value', minInterval: 1 },
    series: g.groups.map((group, gi) => ({
      type: 'bar',
      name: group,
      stack: 'groups',
      color: personColor(gi),
      cursor: 'pointer',
      data: p.clusters.map((c, ci) => ({
        value: g.counts[gi]?.[ci] ?? 0,
        itemStyle: selected !== undefined && c.id !== selected ? { opacity: 0.35 } : {},
      })),
    })),
  };
}

function UsersBody({ p, state }: { p: Patterns } & StateProps) {
  const sel = parseSel(state.sel);
  const chosen = sel.field === 'cluster' ? p.clusters.find((c) => String(c.id) === sel.value) : undefined;
  const option = useMemo(() => byGroupOption(p, chosen?.id), [p, chosen]);
  const clustered = p.clusters.reduce((n, c) => n + c.users.length, 0);
  const mine = p.clusters.find((c) => c.id === p.yours);
  const g = p.by_group;
  const choose = (c: Cluster): void => select(state, `cluster:${c.id}`);
  return (
    <>
      <SpanLine span={p.span} />
      {p.clusters.length === 1 ? (
        <p class="ua-lead">
          Only one person is in reach, so there is nothing to cluster: clusters need several people (members see only
          their own usage). The card shows the event types this person uses most.
        </p>
      ) : null}
      <p class="ua-lead">
        <strong>{p.k} clusters</strong> of {formatCount(clustered)} people with at least {p.min_events} events, by the
        share of each event type in what they do (silhouette {p.silhouette.toFixed(2)}: the closer to 1, the clearer
        apart). {mine ? <>You are in {clusterName(mine)}.</> : null}
      </p>
      <ul class="ua-clusters" aria-label="Clusters">
        {p.clusters.map((c) => (
          <li key={c.id}>
            <button
              type="button"
              class={`ua-cluster ${chosen?.id === c.id ? 'is-selected' : ''}`}
              aria-pressed={chosen?.id === c.id}
              onClick={() => choose(c)}
            >
              <h3>
                <span>{clusterName(c)}</span>
                <span>
                  {c.id === p.yours ? <span class="ua-badge is-good">yours</span> : null} {formatCount(c.users.length)}{' '}
                  people
                </span>
              </h3>
              <span class="muted">Sets it apart:</span>
              <ul>
                {c.defining.slice(0, 4).map((t) => (
                  <li key={t.type}>
                    {t.type} ({percent(t.share)}, ×{t.lift.toFixed(1)})
                  </li>
                ))}
              </ul>
            </button>
          </li>
        ))}
      </ul>
      <div class="ua-pair">
        <ChartFigure
          title="People per cluster, by group"
          note="Click a bar for the cluster’s people."
          option={option}
          height={280}
          onClick={(e) => {
            const c = p.clusters[e.dataIndex];
            if (c) choose(c);
          }}
          columns={['Cluster', ...g.groups]}
          rows={p.clusters.map((c, ci) => ({
            key: `cluster:${c.id}`,
            cells: [clusterName(c), ...g.groups.map((_, gi) => g.counts[gi]?.[ci] ?? 0)],
          }))}
          onRow={(k) => select(state, k)}
          selected={state.sel}
        />
        <section class="ua-figure" aria-labelledby="ua-contingency">
          <h2 id="ua-contingency" class="ua-figure-title">
            Groups against clusters
          </h2>
          <p class="ua-figure-note">
            Cramér’s V <strong>{g.cramers_v.toFixed(2)}</strong> (chi-square {g.chi_square.toFixed(1)},{' '}
            {g.degrees_of_freedom} degrees of freedom): {strength(g.cramers_v)}. 0 means the group says nothing of the
            cluster, 1 that it decides it.
          </p>
          <div class="ua-table-wrap">
            <table class="ua-table ua-heat" aria-label="People per group and cluster">
              <thead>
                <tr>
                  <th scope="col">Group</th>
                  {p.clusters.map((c) => (
                    <th scope="col" key={c.id} class="ua-num">
                      {clusterName(c)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {g.groups.map((group, gi) => {
                  const row = g.counts[gi] ?? [];
                  const total = Math.max(
                    1,
                    row.reduce((a, b) => a + b, 0),
                  );
                  return (
                    <tr key={group}>
                      <th scope="row">{group}</th>
                      {p.clusters.map((c, ci) => {
                        const v = row[ci] ?? 0;
                        return (
                          <td
                            key={c.id}
                            class={`ua-num ${chosen?.id === c.id ? 'is-chosen' : ''}`}
                            // The shade is data (the group's share in the cluster): set through the CSSOM.
                            ref={(el) => el?.style.setProperty('--share', String(v / total))}
                          >
                            {formatCount(v)}
                          </td>
                        );
                      })}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </section>
      </div>
      {chosen ? <ClusterPanel c={chosen} p={p} state={state} /> : null}
    </>
  );
}

function ClusterPanel({ c, p, state }: { c: Cluster; p: Patterns; state: UsageState }) {
  const logins = c.users.map((u) => u.login);
  const gi = p.clusters.findIndex((x) => x.id === c.id);
  const groups = p.by_group.groups
    .map((g, i) => [g, p.by_group.counts[i]?.[gi] ?? 0] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  return (
    <DetailPanel
      title={clusterName(c)}
      subtitle={c.id === p.yours ? 'Your cluster' : `${formatCount(c.users.length)} people`}
      onClose={() => select(state, '')}
    >
      <Section title="In this period">
        <Facts
          rows={[
            ['People', formatCount(c.users.length)],
            ['Groups', groups.map(([g, n]) => `${g} (${n})`).join(', ') || 'none'],
          ]}
        />
        <div class="ua-actions">
          <button
            type="button"
            class="button primary"
            onClick={() => drillDown(state, 'overview', 'user', logins.join(','))}
          >
            Details: their usage
          </button>
          <button type="button" class="button" onClick={() => drillDown(state, 'packages', 'user', logins.join(','))}>
            Their packages
          </button>
        </div>
      </Section>
      <Section title="What sets it apart">
        <MiniTable
          label="Defining event types"
          columns={[{ header: 'Event type' }, { header: 'Share', num: true }, { header: 'Lift', num: true }]}
          rows={c.defining.map((t) => ({ key: t.type, cells: [t.type, percent(t.share), `×${t.lift.toFixed(1)}`] }))}
        />
      </Section>
      <Section title="People">
        <ul class="ua-members">
          {c.users.map((u) => (
            <li key={u.id}>
              <button type="button" class="link-button" onClick={() => drillDown(state, 'overview', 'user', u.login)}>
                {u.name ? `${u.name} (${u.login})` : u.login}
              </button>
            </li>
          ))}
        </ul>
      </Section>
    </DetailPanel>
  );
}
