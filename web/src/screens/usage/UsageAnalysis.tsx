// Usage Analysis (seed 003): the tabs, the toolbox of global filters, the
// drill-down bar (Back and Close), and the open tab, loaded on first visit.
// Everything it shows follows from the address (state.ts).

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { describe } from '../../api/errors';
import type { ScreenProps } from '../../app/routes';
import { useSession } from '../../app/session';
import { Link } from '../../components/Link';
import { Notice } from '../../components/Notice';
import {
  drillBack,
  drillClose,
  drillLabel,
  readState,
  TABS,
  takeOpener,
  usageHref,
  type TabId,
  type UsageState,
} from './state';
import '../../styles/usage.css';
import { TAB_MODULES, type TabProps, type TabView } from './tab';
import { Toolbox } from './Toolbox';

/** Tabs loaded so far, kept for the next visits. */
const loaded = new Map<TabId, TabView>();

export function UsageAnalysis({ params, place }: ScreenProps) {
  const { me, can } = useSession();
  const state = useMemo(() => readState(params.tab, place.params), [params.tab, place.params]);
  const [epoch, setEpoch] = useState(0);
  // Performance is kept per operation, never per person: a member, who sees only their own usage, has none.
  const tabs = TABS.filter((t) => t.id !== 'performance' || !can.seesOnlyOwn);
  const tab = tabs.find((t) => t.id === state.tab);

  useEffect(() => {
    document.title = `${tab?.label ?? 'Not found'} · Usage Analysis · Trail`;
  }, [tab]);

  // The context panel closed: the focus goes back to what opened it (a row, a table's button).
  const hadPanel = useRef(!!state.sel);
  useEffect(() => {
    if (hadPanel.current && !state.sel) takeOpener()?.focus({ preventScroll: true });
    hadPanel.current = !!state.sel;
  }, [state.sel]);

  return (
    <div class={`usage-analysis ${state.sel ? 'has-panel' : ''}`}>
      <div class="screen-head">
        <div>
          <h1>Usage Analysis</h1>
          <p class="muted">
            {can.seesOnlyOwn ? 'Your own usage. ' : ''}
            {tab?.blurb}
          </p>
        </div>
      </div>
      <nav class="ua-tabs" aria-label="Usage Analysis tabs">
        {tabs.map((t) => (
          <Link
            key={t.id}
            href={usageHref({ tab: t.id, filters: state.filters })}
            aria-current={t.id === state.tab ? 'page' : undefined}
          >
            {t.label}
          </Link>
        ))}
      </nav>
      <Toolbox state={state} seesOthers={!can.seesOnlyOwn} onRefresh={() => setEpoch((e) => e + 1)} />
      {state.drill ? <DrillBar state={state} /> : null}
      {tab ? (
        <TabLoader key={`${state.tab}/${epoch}`} state={state} me={me} can={can} />
      ) : (
        <Notice kind="warning" title="This tab is not available">
          Your role has no {state.tab} tab. Choose one of the tabs above.
        </Notice>
      )}
    </div>
  );
}

/** The open tab: its module, fetched on first visit. */
function TabLoader({ state, me, can }: TabProps) {
  const View = loaded.get(state.tab);
  const [, setTick] = useState(0);
  const [failure, setFailure] = useState<string>();
  useEffect(() => {
    if (View) return;
    TAB_MODULES[state.tab]()
      .then((v) => {
        loaded.set(state.tab, v);
        setTick((t) => t + 1);
      })
      .catch((e: unknown) => setFailure(`${describe(e)} Reload the page to get the current version of the app.`));
  }, [View, state.tab]);
  if (failure) {
    return (
      <Notice kind="error" title="This tab could not be loaded">
        {failure}
      </Notice>
    );
  }
  if (!View) return <div class="loading" aria-busy="true" aria-label="Loading the tab" />;
  return (
    <div class="ua-tab" data-tab={state.tab}>
      <View state={state} me={me} can={can} />
    </div>
  );
}

/** A drill-down's derived filter, where it came from, Back and Close. */
function DrillBar({ state }: { state: UsageState }) {
  const d = state.drill;
  if (!d) return null;
  const from = TABS.find((t) => t.id === d.via)?.label;
  const here = TABS.find((t) => t.id === state.tab)?.label ?? state.tab;
  return (
    <div class="ua-drill" role="region" aria-label="Drill-down">
      <span>
        {here} of the <strong>{drillLabel(d)}</strong>
        {from ? <span class="muted"> · from {from}</span> : null}
      </span>
      <button type="button" class="button" onClick={() => drillBack(state)}>
        <span aria-hidden="true">←</span> Back{from ? ` to ${from}` : ''}
      </button>
      <button
        type="button"
        class="button"
        onClick={() => drillClose(state)}
        aria-label={`Close: show ${here} of everything`}
      >
        Close <span aria-hidden="true">×</span>
      </button>
    </div>
  );
}
