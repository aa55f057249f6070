// Overview: cards (active and new people, sessions, events, errors) against
// the period before; unique people over time; people per package; activity per
// person. The two bar charts are linked: a package's bar narrows the people to
// that package, a person's bar narrows the packages to that person. Below,
// what nobody used in the period (seed 003: "remove unused menu items").

import { useMemo } from 'preact/hooks';
import { url } from '../../api/client';
import { usage, type Overview, type Span, type UnusedItem } from '../../api/usage';
import { DetailPanel, Facts, Section } from '../../components/DetailPanel';
import { Link } from '../../components/Link';
import { formatCount, formatTime } from '../../lib/format';
import { barOption, bucketLabel, bucketsOf, lineOption, perBucket } from './charts';
import { ChartFigure, DeltaCard, LinkedNote, MiniTable, NothingHere, ViewFrame } from './parts';
import { activityHref, apiQuery, drillDown, parseSel, select } from './state';
import type { StateProps, TabProps } from './tab';
import { useView, type View } from './useView';

export function OverviewTab({ state }: TabProps) {
  const query = apiQuery(state);
  const view = useView(url('overview', query), (s) => usage.overview(query, s));
  const sel = parseSel(state.sel);
  // The linked chart: the other chart, narrowed to the selected bar.
  const linkedQuery =
    sel.field === 'package'
      ? { ...query, packages: sel.value }
      : sel.field === 'user'
        ? { ...query, users: sel.value }
        : undefined;
  const linked = useView(linkedQuery ? url('overview', linkedQuery) : '', (s) =>
    usage.overview(linkedQuery ?? query, s),
  );
  return (
    <ViewFrame
      view={view}
      what="the overview"
      isEmpty={(o) => o.cards.events.current === 0}
      empty={<NothingHere title="No events in this period" />}
    >
      {(o) => <OverviewBody o={o} linked={linked} state={state} />}
    </ViewFrame>
  );
}

function OverviewBody({ o, linked, state }: { o: Overview; linked: View<Overview> } & StateProps) {
  const sel = parseSel(state.sel);
  const before = periodWords(o.previous);
  const line = useMemo(
    () => lineOption({ span: o.span, series: [{ name: 'People', values: perBucket(o.span, o.users_per_bucket) }] }),
    [o],
  );
  // Packages: people per package, or, with a person selected, that person's events per package.
  const personPackages = sel.field === 'user' ? linked.data?.users_per_package : undefined;
  const pkgRows = personPackages ?? o.users_per_package;
  const pkgUnit = personPackages ? 'events' : 'people';
  const pkgOption = useMemo(
    () =>
      barOption({
        names: pkgRows.map((p) => p.name),
        values: pkgRows.map((p) => (personPackages ? p.events : p.users)),
        unit: pkgUnit,
        selected: sel.field === 'package' ? sel.value : undefined,
        more: (i) => (personPackages ? [] : [{ name: 'events', value: formatCount(pkgRows[i]?.events ?? 0) }]),
      }),
    [pkgRows, personPackages, sel.field, sel.value],
  );
  // People: the most active, or, with a package selected, the most active in that package.
  const packagePeople = sel.field === 'package' ? linked.data?.top_users : undefined;
  const people = packagePeople ?? o.top_users;
  const peopleOption = useMemo(
    () =>
      barOption({
        names: people.map((p) => p.user.login),
        values: people.map((p) => p.events),
        unit: 'events',
        selected: sel.field === 'user' ? sel.value : undefined,
        more: (i) => [{ name: 'failed', value: formatCount(people[i]?.failures ?? 0) }],
      }),
    [people, sel.field, sel.value],
  );
  const choosePackage = (name: string): void => select(state, `package:${name}`);
  const choosePerson = (login: string): void => select(state, `user:${login}`);
  const c = o.cards;
  return (
    <div class="ua-overview">
      <div class="cards ua-cards">
        <DeltaCard label="Active users" card={c.active_users} previousLabel={before} />
        <DeltaCard label="New users" card={c.new_users} previousLabel={before} />
        <DeltaCard label="Sessions" card={c.sessions} previousLabel={before} />
        <DeltaCard label="Events" card={c.events} previousLabel={before} />
        <DeltaCard label="Errors" card={c.errors} previousLabel={before} moreIsWorse />
      </div>
      <ChartFigure
        title="Unique users over time"
        note={`People with at least one event per ${o.span.bucket}; drag the slider to zoom.`}
        option={line}
        height={230}
        columns={[o.span.bucket === 'day' ? 'Day (UTC)' : 'Time', 'People']}
        rows={bucketsOf(o.span).map((b, i) => ({
          key: b,
          cells: [bucketLabel(b, o.span.bucket), perBucket(o.span, o.users_per_bucket)[i] ?? 0],
        }))}
      />
      <div class="ua-pair">
        <ChartFigure
          title={personPackages ? `Events per package of ${sel.value}` : 'Users per package'}
          note={
            personPackages ? (
              <LinkedNote what={`person ${sel.value}`} onClear={() => select(state, '')} />
            ) : (
              'Click a bar to see who uses the package.'
            )
          }
          option={pkgOption}
          height={Math.max(160, 30 * pkgRows.length + 40)}
          onClick={(e) => {
            const name = pkgRows[e.dataIndex]?.name;
            if (name) choosePackage(name);
          }}
          columns={['Package', pkgUnit === 'people' ? 'People' : 'Events', 'Events']}
          rows={pkgRows.map((p) => ({
            key: `package:${p.name}`,
            cells: [p.name, personPackages ? p.events : p.users, p.events],
          }))}
          onRow={(k) => choosePackage(parseSel(k).value)}
          selected={state.sel}
        />
        <ChartFigure
          title={packagePeople ? `Most active users of ${sel.value}` : 'Activity per user'}
          note={
            packagePeople ? (
              <LinkedNote what={`package ${sel.value}`} onClear={() => select(state, '')} />
            ) : (
              'Click a bar to see the packages a person uses.'
            )
          }
          option={peopleOption}
          height={Math.max(160, 30 * people.length + 40)}
          onClick={(e) => {
            const login = people[e.dataIndex]?.user.login;
            if (login) choosePerson(login);
          }}
          columns={['Person', 'Events', 'Failed']}
          rows={people.map((p) => ({ key: `user:${p.user.login}`, cells: [p.user.login, p.events, p.failures] }))}
          onRow={(k) => choosePerson(parseSel(k).value)}
          selected={state.sel}
        />
      </div>
      {o.other_users.users > 0 && !packagePeople ? (
        <p class="muted ua-more">
          And {formatCount(o.other_users.users)} more people with {formatCount(o.other_users.events)} events.
        </p>
      ) : null}
      <UnusedSection state={state} />
      {sel.field === 'package' ? <PackagePanel o={o} linked={linked} name={sel.value} state={state} /> : null}
      {sel.field === 'user' ? <PersonPanel o={o} linked={linked} login={sel.value} state={state} /> : null}
    </div>
  );
}

/** `the 30 days before`, `the 24 hours before`. */
function periodWords(previous: Span): string {
  const hours = (Date.parse(previous.to) - Date.parse(previous.from)) / 3_600_000;
  if (hours >= 48) return `in the ${Math.round(hours / 24)} days before`;
  if (hours >= 2) return `in the ${Math.round(hours)} hours before`;
  return `in the ${Math.round(hours * 60)} minutes before`;
}

interface PanelProps extends StateProps {
  o: Overview;
  linked: View<Overview>;
}

function PackagePanel({ o, linked, name, state }: PanelProps & { name: string }) {
  const row = o.users_per_package.find((p) => p.name === name);
  const l = linked.data;
  return (
    <DetailPanel title={name} subtitle="Package" onClose={() => select(state, '')}>
      <Section title="In this period">
        <Facts
          rows={[
            ['People', formatCount(row?.users ?? 0)],
            ['Events', formatCount(row?.events ?? 0)],
            ['Sessions', l ? formatCount(l.cards.sessions.current) : '…'],
            ['Errors', l ? formatCount(l.cards.errors.current) : '…'],
          ]}
        />
      </Section>
      <Section title="Details">
        <div class="ua-actions">
          <button type="button" class="button primary" onClick={() => drillDown(state, 'functions', 'package', name)}>
            Details: its functions
          </button>
          <button type="button" class="button" onClick={() => drillDown(state, 'events', 'package', name)}>
            Its events
          </button>
          <button type="button" class="button" onClick={() => drillDown(state, 'errors', 'package', name)}>
            Its errors
          </button>
        </div>
        <p>
          <Link href={activityHref(state.filters, `package:${name}`)}>Its activity in Activity Logs</Link>
        </p>
      </Section>
    </DetailPanel>
  );
}

function PersonPanel({ o, linked, login, state }: PanelProps & { login: string }) {
  const row = o.top_users.find((p) => p.user.login === login);
  const l = linked.data;
  return (
    <DetailPanel title={row?.user.name ?? login} subtitle={login} onClose={() => select(state, '')}>
      <Section title="In this period">
        <Facts
          rows={[
            ['Events', l ? formatCount(l.cards.events.current) : formatCount(row?.events ?? 0)],
            ['Failed', row ? formatCount(row.failures) : ''],
            ['Sessions', l ? formatCount(l.cards.sessions.current) : '…'],
            ['Errors', l ? formatCount(l.cards.errors.current) : '…'],
            ['Packages used', l ? formatCount(l.users_per_package.length) : '…'],
          ]}
        />
      </Section>
      <Section title="Details">
        <div class="ua-actions">
          <button type="button" class="button primary" onClick={() => drillDown(state, 'events', 'user', login)}>
            Details: their events
          </button>
          <button type="button" class="button" onClick={() => drillDown(state, 'packages', 'user', login)}>
            Their packages
          </button>
          <button type="button" class="button" onClick={() => drillDown(state, 'errors', 'user', login)}>
            Their errors
          </button>
        </div>
        <p>
          <Link href={activityHref(state.filters, `user:${login}`)}>Their activity in Activity Logs</Link>
        </p>
      </Section>
    </DetailPanel>
  );
}

/** What nobody used in the period, with its last use ever. */
function UnusedSection({ state }: StateProps) {
  const query = apiQuery(state);
  const view = useView(url('unused', query), (s) => usage.unused(query, s));
  return (
    <section class="ua-section" aria-labelledby="ua-unused">
      <h2 id="ua-unused">Not used in this period</h2>
      <p class="muted">Candidates for removal: features with no use in the period, and when they were last used.</p>
      <ViewFrame view={view} what="what was not used">
        {(u) =>
          u.event_types.length + u.packages.length + u.functions.length === 0 ? (
            <p class="ua-all-used">
              Everything known was used in this period. Choose a shorter date range (for example Today) to see what went
              unused.
            </p>
          ) : (
            <div class="ua-unused">
              <UnusedList title="Packages" items={u.packages} />
              <UnusedList title="Functions" items={u.functions} />
              <UnusedList title="Event types" items={u.event_types} />
            </div>
          )
        }
      </ViewFrame>
    </section>
  );
}

function UnusedList({ title, items }: { title: string; items: UnusedItem[] }) {
  return (
    <div class="ua-unused-list" aria-label={`Unused ${title.toLowerCase()}`} role="group">
      <h3>{title}</h3>
      {items.length ? (
        <MiniTable
          label={`Unused ${title.toLowerCase()}`}
          columns={[{ header: 'Name' }, { header: 'Last used' }]}
          rows={items.map((i) => ({
            key: i.name,
            cells: [i.name, i.last_used ? formatTime(i.last_used).slice(0, 10) : 'never'],
          }))}
        />
      ) : (
        <p class="muted">All used.</p>
      )}
    </div>
  );
}
