// Data history (seed 003: "track origin of datasets, see history of
// modifications, see all actions performed with an object"): pick a resource
// (its kind and a few letters of its name, with suggestions), then its origin
// as a graph (what it was made from, followed back), the events that changed
// it, and every action on it. A node of the graph opens in the context panel,
// with the way to its own history.

import { useEffect, useId, useMemo, useRef, useState } from 'preact/hooks';
import { url, isAbort } from '../../api/client';
import { events as eventsApi } from '../../api/endpoints';
import { usage, type Edge, type History, type HistoryNode } from '../../api/usage';
import { navigate } from '../../app/router';
import type { ChartOption } from '../../components/chart/echarts';
import { tooltip } from '../../components/chart/tooltip';
import { DetailPanel, Facts, Section } from '../../components/DetailPanel';
import { entityHref } from '../../components/events/EventDetail';
import { EventTable } from '../../components/events/EventTable';
import { Link } from '../../components/Link';
import { formatCount, formatTime, words } from '../../lib/format';
import { quote } from '../../lib/query';
import { personColor } from './charts';
import { ChartFigure, MiniTable, NothingHere, ViewFrame } from './parts';
import { activityHref, apiQuery, parseSel, select, usageHref, type UsageState } from './state';
import type { StateProps, TabProps } from './tab';
import { useView } from './useView';

export function HistoryTab({ state }: TabProps) {
  const params = new URLSearchParams(location.search);
  const kind = params.get('kind') ?? '';
  const id = params.get('id') ?? '';
  const query = apiQuery(state);
  const view = useView(kind && id ? url(`history/${kind}/${id}`, query) : '', (s) => usage.history(kind, id, query, s));
  return (
    <>
      <Picker state={state} kind={kind} id={id} />
      {kind && id ? (
        <ViewFrame view={view} what="the history">
          {(h) => <HistoryBody h={h} state={state} />}
        </ViewFrame>
      ) : (
        <NothingHere title="Choose a resource">
          <p>
            Pick a kind above and type a few letters of its name, then choose it from the list. Or open a function’s or
            an operation’s <em>Data history</em> from the Functions and Performance tabs.
          </p>
          <RecentTables state={state} />
        </NothingHere>
      )}
    </>
  );
}

/** A start: the tables used lately (datasets, whose origin is the usual question). */
function RecentTables({ state }: StateProps) {
  const recent = useSuggestions('table', '');
  if (!recent.length) return null;
  return (
    <p>
      Tables used lately:{' '}
      {recent.slice(0, 6).map((n, i) => (
        <span key={nodeKey(n)}>
          {i ? ', ' : ''}
          <Link href={historyHref(state, n)}>{n.name ?? n.id}</Link>
        </span>
      ))}
    </p>
  );
}

const nodeKey = (n: Pick<HistoryNode, 'kind' | 'id'>): string => `${n.kind}/${n.id}`;
const nodeName = (n: HistoryNode): string => `${words(n.kind)} ${n.name ?? n.id}`;
const historyHref = (state: UsageState, n: Pick<HistoryNode, 'kind' | 'id'>): string =>
  usageHref({ tab: 'history', filters: state.filters, extra: { kind: n.kind, id: n.id } });

/** Kinds of resources events name, from the event types. */
function useKinds(): string[] {
  const [kinds, setKinds] = useState<string[]>([]);
  useEffect(() => {
    let live = true;
    eventsApi
      .types()
      .then((types) => {
        const all = new Set(types.map((t) => t.resource_kind).filter((k): k is string => !!k));
        if (live) setKinds([...all].sort());
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  return kinds;
}

/** Resources of a kind whose name holds the text, from the newest events that name them. */
function useSuggestions(kind: string, text: string): HistoryNode[] {
  const [found, setFound] = useState<HistoryNode[]>([]);
  useEffect(() => {
    if (!kind) return undefined;
    const abort = new AbortController();
    const timer = setTimeout(() => {
      const q = [`kind:${quote(kind)}`, text.trim() ? `resource:${quote(text.trim())}` : ''].filter(Boolean).join(' ');
      eventsApi
        .search({ q, limit: 200, signal: abort.signal })
        .then((page) => {
          const seen = new Map<string, HistoryNode>();
          for (const e of page.events) {
            const r = e.resource;
            if (r?.id && !seen.has(r.id)) seen.set(r.id, { kind: r.kind, id: r.id, name: r.name ?? null });
          }
          setFound([...seen.values()].slice(0, 12));
        })
        .catch((e: unknown) => isAbort(e) || setFound([]));
    }, 250);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [kind, text]);
  return found;
}

/** The resource's kind and a search box with suggestions (a combobox: ↑/↓ choose, Enter opens). */
function Picker({ state, kind, id }: { state: UsageState; kind: string; id: string }) {
  const uid = useId();
  const kinds = useKinds();
  const [chosenKind, setKind] = useState(kind || 'table');
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const found = useSuggestions(chosenKind, text);
  useEffect(() => setKind(kind || 'table'), [kind]);
  const go = (n: HistoryNode): void => {
    setOpen(false);
    setText('');
    navigate(historyHref(state, n));
  };
  const shown = open ? found : [];
  return (
    <form
      class="ua-picker"
      role="search"
      aria-label="Choose a resource"
      onSubmit={(e) => {
        e.preventDefault();
        const n = shown[active] ?? found[0];
        if (n) go(n);
      }}
    >
      <label>
        Kind
        <select value={chosenKind} onChange={(e) => setKind(e.currentTarget.value)}>
          {(kinds.length ? kinds : [chosenKind]).map((k) => (
            <option key={k} value={k}>
              {words(k)}
            </option>
          ))}
        </select>
      </label>
      <div class="ua-combo">
        <label for={`${uid}-q`}>Name or id</label>
        <input
          id={`${uid}-q`}
          ref={input}
          type="text"
          role="combobox"
          autoComplete="off"
          aria-autocomplete="list"
          aria-expanded={shown.length > 0}
          aria-controls={`${uid}-list`}
          aria-activedescendant={shown.length ? `${uid}-opt-${active}` : undefined}
          placeholder={`Find a ${words(chosenKind)}…`}
          value={text}
          onFocus={() => setOpen(true)}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
          onInput={(e) => {
            setText(e.currentTarget.value);
            setActive(0);
            setOpen(true);
          }}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') {
              e.preventDefault();
              setOpen(true);
              setActive((a) => Math.min(a + 1, Math.max(0, found.length - 1)));
            } else if (e.key === 'ArrowUp') {
              e.preventDefault();
              setActive((a) => Math.max(0, a - 1));
            } else if (e.key === 'Escape') {
              setOpen(false);
            }
          }}
        />
        {shown.length ? (
          <ul class="suggestions ua-suggestions" id={`${uid}-list`} role="listbox" aria-label="Resources">
            {shown.map((n, i) => (
              <li
                key={nodeKey(n)}
                id={`${uid}-opt-${i}`}
                role="option"
                aria-selected={i === active}
                class={i === active ? 'is-active' : undefined}
                onMouseDown={(e) => {
                  e.preventDefault();
                  go(n);
                }}
              >
                <span class="suggestion-label">{n.name ?? n.id}</span>
                <span class="suggestion-hint">
                  {words(n.kind)} {n.id}
                </span>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      <button type="submit" class="button">
        Show history
      </button>
      {kind && id ? (
        <span class="muted">
          Showing {words(kind)} {id}
        </span>
      ) : null}
    </form>
  );
}

/** Columns by how many steps a resource is from the one asked about: sources on the left. */
function layout(h: History): { nodes: HistoryNode[]; depth: Map<string, number> } {
  const nodes = new Map<string, HistoryNode>([[nodeKey(h.resource), h.resource]]);
  for (const e of h.origin) {
    nodes.set(nodeKey(e.from), e.from);
    nodes.set(nodeKey(e.to), e.to);
  }
  const depth = new Map<string, number>([[nodeKey(h.resource), 0]]);
  for (let step = 0; step < 8; step++) {
    for (const e of h.origin) {
      const d = depth.get(nodeKey(e.to));
      if (d !== undefined && !depth.has(nodeKey(e.from))) depth.set(nodeKey(e.from), d + 1);
    }
  }
  return { nodes: [...nodes.values()], depth };
}

function graphOption(h: History, selected: string | undefined): ChartOption {
  const { nodes, depth } = layout(h);
  const deepest = Math.max(0, ...depth.values());
  const kinds = [...new Set(nodes.map((n) => n.kind))];
  const perColumn = new Map<number, number>();
  const place = new Map<string, [number, number]>();
  for (const n of nodes) {
    const d = depth.get(nodeKey(n)) ?? deepest + 1;
    const row = perColumn.get(d) ?? 0;
    perColumn.set(d, row + 1);
    place.set(nodeKey(n), [(deepest - d) * 260, row * 90]);
  }
  const resource = nodeKey(h.resource);
  return {
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p) => {
        const item = Array.isArray(p) ? p[0] : p;
        if (item?.dataType === 'edge') {
          const e = h.origin[item.dataIndex];
          return tooltip(`${e ? nodeName(e.from) : ''} → ${e ? nodeName(e.to) : ''}`, [
            { name: 'events', value: formatCount(e?.count ?? 0) },
          ]);
        }
        const n = nodes[item?.dataIndex ?? 0];
        return tooltip(n ? nodeName(n) : '', [{ name: 'id', value: n?.id ?? '' }]);
      },
    },
    series: [
      {
        type: 'graph',
        layout: 'none',
        roam: true,
        cursor: 'pointer',
        symbolSize: 22,
        edgeSymbol: ['none', 'arrow'],
        edgeSymbolSize: 10,
        label: { show: true, position: 'bottom', formatter: (p) => String(p.name ?? '') },
        edgeLabel: { show: true, formatter: (p) => `${formatCount(Number(p.value ?? 0))} events` },
        lineStyle: { width: 2, color: '#8a94a6', curveness: 0.1 },
        data: nodes.map((n) => ({
          name: nodeName(n),
          x: place.get(nodeKey(n))?.[0] ?? 0,
          y: place.get(nodeKey(n))?.[1] ?? 0,
          itemStyle: {
            color: personColor(kinds.indexOf(n.kind)),
            borderColor: nodeKey(n) === selected || nodeKey(n) === resource ? '#1b2130' : '#fff',
            borderWidth: nodeKey(n) === selected ? 4 : nodeKey(n) === resource ? 2 : 1,
          },
          symbolSize: nodeKey(n) === resource ? 30 : 22,
        })),
        links: h.origin.map((e) => ({
          source: nodes.findIndex((n) => nodeKey(n) === nodeKey(e.from)),
          target: nodes.findIndex((n) => nodeKey(n) === nodeKey(e.to)),
          value: e.count,
        })),
      },
    ],
  };
}

function HistoryBody({ h, state }: { h: History } & StateProps) {
  const sel = parseSel(state.sel);
  const chosen = sel.field === 'node' ? sel.value : undefined;
  const { nodes } = useMemo(() => layout(h), [h]);
  const option = useMemo(() => graphOption(h, chosen), [h, chosen]);
  const r = h.resource;
  const term = `kind:${quote(r.kind)} resource.id:${quote(r.id)}`;
  return (
    <>
      <div class="screen-head ua-history-head">
        <div>
          <h2>
            <span class="kind">{words(r.kind)}</span> {r.name ?? r.id}
          </h2>
          <p class="muted">
            Id <code>{r.id}</code> · <Link href={entityHref(r.kind, r.id)}>its page</Link> ·{' '}
            <Link href={activityHref(state.filters, term)}>its activity in Activity Logs</Link>
          </p>
        </div>
      </div>
      {!h.complete ? (
        <p class="ua-span">The history was cut at its limits (six steps back, or the events it may read).</p>
      ) : null}
      {h.origin.length ? (
        <ChartFigure
          title="Where it came from"
          note="Each arrow: the events that made one resource from another. Click a resource for its details; drag or scroll to move and zoom."
          option={option}
          height={Math.max(220, 90 * Math.max(...[...countPerColumn(h).values()], 1) + 80)}
          onClick={(e) => {
            if (e.dataType === 'edge') return;
            const n = nodes[e.dataIndex];
            if (n) select(state, `node:${nodeKey(n)}`);
          }}
          columns={['From', 'To', 'Events', 'Last']}
          rows={h.origin.map((e) => ({
            key: `node:${nodeKey(e.from)}`,
            cells: [nodeName(e.from), nodeName(e.to), e.count, e.events[0] ? formatTime(e.events[0].at) : ''],
          }))}
          onRow={(k) => select(state, k)}
          selected={state.sel}
        />
      ) : (
        <section class="ua-section">
          <h2>Where it came from</h2>
          <p>
            No event in this period says what it was made from. An event records a source when one of its parameters
            names another resource (for example <code>"source": "query:Top 10 Customers"</code>).
          </p>
        </section>
      )}
      <section class="ua-section" aria-labelledby="ua-actions">
        <h2 id="ua-actions">Every action on it</h2>
        {h.actions.length ? (
          <MiniTable
            label="Actions on it"
            columns={[
              { header: 'Action' },
              { header: 'Events', num: true },
              { header: 'People', num: true },
              { header: 'Last' },
            ]}
            rows={h.actions.map((a) => ({
              key: a.action,
              cells: [
                <Link href={activityHref(state.filters, `${term} action:${a.action}`)}>{a.action}</Link>,
                formatCount(a.events),
                formatCount(a.users),
                formatTime(a.last),
              ],
            }))}
          />
        ) : (
          <p class="muted">Nothing was done with it in this period.</p>
        )}
      </section>
      <section class="ua-section" aria-labelledby="ua-mods">
        <h2 id="ua-mods">Modifications ({formatCount(h.modifications.length)})</h2>
        {h.modifications.length ? (
          <EventTable
            caption="Modifications, newest first"
            events={h.modifications}
            onOpen={(e) => navigate(`/activity?event=${encodeURIComponent(e.id)}`)}
            more={false}
            loading={false}
            onMore={() => undefined}
          />
        ) : (
          <p class="muted">It was not changed in this period.</p>
        )}
      </section>
      {chosen ? <NodePanel h={h} nodeKeyed={chosen} state={state} /> : null}
    </>
  );
}

function countPerColumn(h: History): Map<number, number> {
  const { nodes, depth } = layout(h);
  const out = new Map<number, number>();
  for (const n of nodes) {
    const d = depth.get(nodeKey(n)) ?? -1;
    out.set(d, (out.get(d) ?? 0) + 1);
  }
  return out;
}

function EdgeList({ title, edges, show }: { title: string; edges: Edge[]; show: (e: Edge) => HistoryNode }) {
  if (!edges.length) return null;
  return (
    <Section title={title}>
      {edges.map((e) => (
        <div key={`${nodeKey(e.from)}>${nodeKey(e.to)}`} class="ua-edge">
          <p>
            <strong>{nodeName(show(e))}</strong> · {formatCount(e.count)} events
          </p>
          <ol class="ua-runs" aria-label={`Events: ${nodeName(e.from)} to ${nodeName(e.to)}`}>
            {e.events.slice(0, 5).map((ev) => (
              <li key={ev.id}>
                <div class="ua-runs-head">
                  <Link href={`/activity?event=${encodeURIComponent(ev.id)}`}>
                    <time dateTime={ev.at}>{formatTime(ev.at)}</time>
                  </Link>
                  <span>{ev.user}</span>
                  <code>{ev.type}</code>
                </div>
              </li>
            ))}
          </ol>
        </div>
      ))}
    </Section>
  );
}

function NodePanel({ h, nodeKeyed, state }: { h: History; nodeKeyed: string; state: UsageState }) {
  const { nodes } = layout(h);
  const n = nodes.find((x) => nodeKey(x) === nodeKeyed);
  if (!n) return null;
  const into = h.origin.filter((e) => nodeKey(e.to) === nodeKeyed);
  const out = h.origin.filter((e) => nodeKey(e.from) === nodeKeyed);
  const isResource = nodeKey(h.resource) === nodeKeyed;
  return (
    <DetailPanel title={n.name ?? n.id} subtitle={`${words(n.kind)} ${n.id}`} onClose={() => select(state, '')}>
      <Section title="In this history">
        <Facts
          rows={[
            ['Made from', into.map((e) => nodeName(e.from)).join(', ') || 'nothing recorded'],
            ['Went into', out.map((e) => nodeName(e.to)).join(', ') || (isResource ? '' : 'nothing')],
          ]}
        />
        <div class="ua-actions">
          {!isResource ? (
            <Link class="button primary" href={historyHref(state, n)}>
              Details: its own history
            </Link>
          ) : null}
          <Link class="button" href={entityHref(n.kind, n.id)}>
            Its page
          </Link>
        </div>
      </Section>
      <EdgeList title="Made from" edges={into} show={(e) => e.from} />
      <EdgeList title="Went into" edges={out} show={(e) => e.to} />
    </DetailPanel>
  );
}
