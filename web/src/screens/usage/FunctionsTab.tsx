// Functions (seed 003): runs per function linked with the scatter plot of
// function × time × person, a table of every function with its duration
// percentiles, and the context panel of one function: its figures and its
// runs with who, when, how long and the inputs and outputs (seed 003: "a table
// of users, timestamps, inputs and outputs for functions").

import { useEffect, useMemo, useState } from 'preact/hooks';
import { isAbort, url } from '../../api/client';
import { describe } from '../../api/errors';
import { usage, type FunctionSummary, type Functions, type Run } from '../../api/usage';
import { DataTable, type Column } from '../../components/DataTable';
import { DetailPanel, Facts, Section } from '../../components/DetailPanel';
import { StatusBadge } from '../../components/events/StatusBadge';
import { Link } from '../../components/Link';
import { Notice } from '../../components/Notice';
import type { Status } from '../../api/types';
import { formatCount, formatDuration, formatTime, showValue, words } from '../../lib/format';
import { quote } from '../../lib/query';
import { bucketLabel } from './charts';
import { ms, NothingHere, SpanLine, ViewFrame } from './parts';
import { peopleIndex, ScatterBoard, selectedDot } from './ScatterBoard';
import { activityHref, apiQuery, parseSel, select, usageHref, type UsageState } from './state';
import type { StateProps, TabProps } from './tab';
import { useView } from './useView';

export function FunctionsTab({ state }: TabProps) {
  const query = apiQuery(state);
  const view = useView(url('functions', query), (s) => usage.functions(query, s));
  return (
    <ViewFrame
      view={view}
      what="the functions"
      isEmpty={(f) => f.functions.length === 0}
      empty={
        <NothingHere title="No function ran in this period">
          <p>
            A function is the resource of an event whose action is <code>executed</code> (query, script, model, job
            runs). Choose a longer date range or fewer filters in the toolbox above.
          </p>
        </NothingHere>
      }
    >
      {(f) => <FunctionsBody f={f} state={state} />}
    </ViewFrame>
  );
}

/** `Chem:Solubility`, as the scatter plot names a function. */
export const functionName = (f: FunctionSummary): string => `${f.function.package}:${f.function.label}`;

const COLUMNS: Column<FunctionSummary>[] = [
  {
    key: 'name',
    header: 'Function',
    cell: (f) => <span title={functionName(f)}>{functionName(f)}</span>,
    class: 'ua-col-name',
  },
  { key: 'kind', header: 'Kind', cell: (f) => words(f.function.kind) },
  { key: 'runs', header: 'Runs', cell: (f) => formatCount(f.runs), class: 'ua-num' },
  { key: 'users', header: 'People', cell: (f) => formatCount(f.users), class: 'ua-num' },
  { key: 'failures', header: 'Failed', cell: (f) => formatCount(f.failures), class: 'ua-num' },
  { key: 'p50', header: 'p50', cell: (f) => ms(f.durations.p50), class: 'ua-num' },
  { key: 'p90', header: 'p90', cell: (f) => ms(f.durations.p90), class: 'ua-num' },
  { key: 'p99', header: 'p99', cell: (f) => ms(f.durations.p99), class: 'ua-num' },
  { key: 'max', header: 'Max', cell: (f) => ms(f.durations.max), class: 'ua-num' },
];

function FunctionsBody({ f, state }: { f: Functions } & StateProps) {
  const rows = useMemo(() => f.functions.map((x) => ({ name: functionName(x), value: x.runs })), [f]);
  const sel = parseSel(state.sel);
  const chosen = sel.field === 'function' ? f.functions.find((x) => functionName(x) === sel.value) : undefined;
  const dot = chosen ? selectedDot(f.dots, functionName(chosen), state.dot) : undefined;
  const who = peopleIndex(f.people);
  return (
    <>
      <SpanLine span={f.span} />
      <ScatterBoard state={state} answer={f} field="function" noun="function" unit="runs" rows={rows} barUnit="runs" />
      <section class="ua-section" aria-labelledby="ua-functions">
        <h2 id="ua-functions">Every function</h2>
        <p class="muted">Durations are percentiles of the runs (within 2%); choose a function for its runs.</p>
        <DataTable
          caption="Functions in this period"
          columns={COLUMNS}
          rows={f.functions}
          rowKey={functionName}
          selected={chosen ? functionName(chosen) : undefined}
          onOpen={(x) => select(state, `function:${functionName(x)}`)}
          more={false}
          loading={false}
        />
      </section>
      {chosen ? (
        <DetailPanel
          key={functionName(chosen)}
          title={functionName(chosen)}
          subtitle={`${words(chosen.function.kind)} ${chosen.function.function}`}
          onClose={() => select(state, '')}
        >
          {dot ? (
            <Section title="Selected point">
              <Facts
                rows={[
                  ['Person', who.get(dot.user)?.label ?? dot.user],
                  [f.span.bucket === 'day' ? 'Day (UTC)' : 'Time', bucketLabel(dot.bucket, f.span.bucket)],
                  ['Runs', formatCount(dot.events)],
                ]}
              />
            </Section>
          ) : null}
          <FunctionFacts fn={chosen} state={state} />
          <RunsSection fn={chosen} state={state} />
        </DetailPanel>
      ) : null}
    </>
  );
}

function FunctionFacts({ fn, state }: { fn: FunctionSummary; state: UsageState }) {
  const d = fn.durations;
  const { kind, function: id } = fn.function;
  return (
    <Section title="In this period">
      <Facts
        rows={[
          ['Runs', formatCount(fn.runs)],
          ['People', formatCount(fn.users)],
          ['Failed', formatCount(fn.failures)],
          ['Duration p50', ms(d.p50)],
          ['Duration p90', ms(d.p90)],
          ['Duration p99', ms(d.p99)],
          ['Longest', ms(d.max)],
        ]}
      />
      <div class="ua-actions">
        <Link
          class="button"
          href={usageHref({ tab: 'history', filters: state.filters, extra: { kind, id } })}
          title="Where it came from and what was done with it"
        >
          Data history
        </Link>
        <Link class="button" href={activityHref(state.filters, `kind:${quote(kind)} resource.id:${quote(id)}`)}>
          In Activity Logs
        </Link>
      </div>
    </Section>
  );
}

/** One function's runs, newest first, a page at a time. */
function RunsSection({ fn, state }: { fn: FunctionSummary; state: UsageState }) {
  const [runs, setRuns] = useState<Run[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const base = apiQuery(state, {
    kind: fn.function.kind,
    function: fn.function.function,
    package: fn.function.package || undefined,
    limit: 20,
  });
  const key = url('runs', base);
  const load = (cursor: string | null, signal?: AbortSignal): Promise<void> => {
    setLoading(true);
    return usage
      .runs({ ...base, cursor }, signal)
      .then((page) => {
        setRuns((old) => (cursor ? [...old, ...page.runs] : page.runs));
        setNext(page.next);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (!isAbort(e)) setError(describe(e));
      })
      .finally(() => setLoading(false));
  };
  useEffect(() => {
    const abort = new AbortController();
    setRuns([]);
    void load(null, abort.signal);
    return () => abort.abort();
    // The key says everything the first page depends on.
  }, [key]);
  return (
    <Section title="Runs: who, when, inputs and outputs">
      {error ? <Notice kind="error">{error}</Notice> : null}
      <ol class="ua-runs" aria-label="Runs, newest first">
        {runs.map((r) => (
          <li key={r.event_id}>
            <div class="ua-runs-head">
              <Link href={`/activity?event=${encodeURIComponent(r.event_id)}`}>
                <time dateTime={r.at}>{formatTime(r.at)}</time>
              </Link>
              <span>{r.user}</span>
              <span>{formatDuration(r.duration_ms)}</span>
              <StatusBadge status={r.status as Status} />
            </div>
            {Object.keys(r.params).length ? (
              <ul class="ua-params" aria-label="Inputs and outputs">
                {Object.entries(r.params).map(([k, v]) => (
                  <li key={k}>
                    {k}={showValue(v)}
                  </li>
                ))}
              </ul>
            ) : null}
          </li>
        ))}
      </ol>
      {loading ? <span class="spinner" role="status" aria-label="Loading runs" /> : null}
      {!loading && !runs.length && !error ? <p class="muted">No runs in this period.</p> : null}
      {next && !loading ? (
        <button type="button" class="button" onClick={() => void load(next)}>
          Older runs
        </button>
      ) : null}
    </Section>
  );
}
