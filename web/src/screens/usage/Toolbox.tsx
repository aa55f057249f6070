// The global filters, in one toolbox above every tab: date range (presets or
// custom days), time buckets, groups, people and packages. They live in the
// address, so every tab asks the API with the same ones.

import { useEffect, useState } from 'preact/hooks';
import { people as peopleApi } from '../../api/endpoints';
import { usage } from '../../api/usage';
import { navigate } from '../../app/router';
import { ChoiceFilter, FilterBar, type Option } from '../../components/FilterBar';
import { DateFilter } from '../activity/ActivityFilters';
import { BUCKETS, customDays, keptParams, takesPeople, usageHref, type UsageFilters, type UsageState } from './state';
import { forgetViews } from './useView';

interface Props {
  state: UsageState;
  /** Whether the viewer may filter by people and groups (members see only themselves). */
  seesOthers: boolean;
  onRefresh: () => void;
}

interface Choices {
  users: Option[];
  groups: Option[];
  packages: Option[];
}

const NONE: Choices = { users: [], groups: [], packages: [] };
let known: Promise<Choices> | undefined;

/** What the filters offer, asked once per page: people, groups, and the packages of the last 90 days. */
function loadChoices(seesOthers: boolean): Promise<Choices> {
  known ??= Promise.all([
    seesOthers ? peopleApi.list().catch(() => []) : Promise.resolve([]),
    seesOthers ? peopleApi.groups().catch(() => []) : Promise.resolve([]),
    usage
      .overview({ range: '90d', top: 1 })
      .then((o) => o.users_per_package.map((p) => p.name).sort((a, b) => a.localeCompare(b)))
      .catch(() => [] as string[]),
  ]).then(([users, groups, packages]) => ({
    users: users.map((u) => ({ value: u.login, label: u.name ? `${u.name} (${u.login})` : u.login })),
    groups: groups.map((g) => ({ value: g.name, label: g.name })),
    packages: packages.map((p) => ({ value: p, label: p })),
  }));
  return known;
}

/** A value chosen through the address stays choosable even when the lists lack it. */
const withChosen = (options: Option[], chosen: string[]): Option[] => [
  ...options,
  ...chosen.filter((c) => !options.some((o) => o.value === c)).map((c) => ({ value: c, label: c })),
];

export function Toolbox({ state, seesOthers, onRefresh }: Props) {
  const [choices, setChoices] = useState<Choices>(NONE);
  useEffect(() => {
    let live = true;
    void loadChoices(seesOthers).then((c) => live && setChoices(c));
    return () => {
      live = false;
    };
  }, [seesOthers]);

  const f = state.filters;
  const change = (patch: Partial<UsageFilters>): void => {
    // Filters replace the step (choosing is not history) and keep the tab, its drill-down and selection.
    const next = { ...f, ...patch };
    navigate(
      usageHref({
        tab: state.tab,
        filters: next,
        drill: state.drill,
        sel: state.sel,
        pick: state.pick,
        extra: keptParams(),
      }),
      { replace: true },
    );
  };
  const custom = customDays(f.range);
  const dateFields = custom
    ? { date: 'custom', from: custom.from, to: custom.to }
    : { date: f.range, from: '', to: '' };
  const people = takesPeople(state.tab);
  const any = f.range || f.bucket || f.users.length || f.groups.length || f.packages.length;

  return (
    <div class="ua-toolbox" role="search" aria-label="Usage filters">
      <FilterBar label="Filters for every tab">
        <DateFilter
          filters={dateFields}
          anyLabel="Last 30 days"
          onChange={({ date, from, to }) => change({ range: date === 'custom' ? `${from}..${to}` : date })}
        />
        <ChoiceFilter
          label="Buckets"
          anyLabel="Automatic"
          options={BUCKETS.map((b) => ({ value: b, label: `${b[0]?.toUpperCase()}${b.slice(1)}s` }))}
          value={f.bucket ? [f.bucket] : []}
          onChange={([bucket]) => change({ bucket: bucket ?? '' })}
        />
        {seesOthers ? (
          <>
            <ChoiceFilter
              label="Groups"
              multiple
              searchable
              anyLabel={people ? 'All' : 'All (not applied here)'}
              options={withChosen(choices.groups, f.groups)}
              value={f.groups}
              onChange={(groups) => change({ groups })}
            />
            <ChoiceFilter
              label="People"
              multiple
              searchable
              anyLabel={people ? 'Everyone' : 'Everyone (not applied here)'}
              options={withChosen(choices.users, f.users)}
              value={f.users}
              onChange={(users) => change({ users })}
            />
          </>
        ) : null}
        <ChoiceFilter
          label="Packages"
          multiple
          searchable
          anyLabel="All"
          options={withChosen(choices.packages, f.packages)}
          value={f.packages}
          onChange={(packages) => change({ packages })}
        />
      </FilterBar>
      <div class="ua-toolbox-actions">
        {any ? (
          <button
            type="button"
            class="link-button"
            onClick={() => change({ range: '', bucket: '', users: [], groups: [], packages: [] })}
          >
            Reset filters
          </button>
        ) : null}
        <button
          type="button"
          class="button"
          title="Ask the server again"
          onClick={() => {
            forgetViews();
            onRefresh();
          }}
        >
          Refresh
        </button>
      </div>
      {!people && (f.users.length || f.groups.length) ? (
        <p class="ua-toolbox-note muted">
          Performance is kept per operation, not per person: the group and people filters do not apply to this tab.
        </p>
      ) : null}
    </div>
  );
}
