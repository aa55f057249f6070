// Seed 004's filters: action type, resource type, user (a person, me, API keys,
// service accounts), date (presets or a custom range) and status.

import { useEffect, useId, useState } from 'preact/hooks';
import { ChoiceFilter, FilterBar } from '../../components/FilterBar';
import { words } from '../../lib/format';
import { ACTOR_KINDS, customRange, DATE_PRESETS, dateSummary, STATUSES, type Filters } from './filters';
import type { Vocabulary } from './vocabulary';

interface Props {
  filters: Filters;
  vocabulary: Vocabulary | undefined;
  onChange: (patch: Partial<Filters>) => void;
  /** Whether the viewer sees others' events at all (members see only their own). */
  seesOthers: boolean;
  signedInAs: string | null;
}

const option = (v: string): { value: string; label: string } => ({ value: v, label: words(v) });

export function ActivityFilters({ filters, vocabulary, onChange, seesOthers, signedInAs }: Props) {
  const actions = vocabulary?.actions ?? [];
  const kinds = vocabulary?.kinds ?? [];
  return (
    <FilterBar label="Filters">
      <ChoiceFilter
        label="Action"
        multiple
        searchable
        options={withChosen(actions, filters.action).map(option)}
        value={filters.action}
        onChange={(action) => onChange({ action })}
      />
      <ChoiceFilter
        label="Resource"
        multiple
        searchable
        options={withChosen(kinds, filters.kind).map(option)}
        value={filters.kind}
        onChange={(kind) => onChange({ kind })}
      />
      {seesOthers ? (
        <UserFilter filters={filters} vocabulary={vocabulary} onChange={onChange} signedInAs={signedInAs} />
      ) : null}
      <DateFilter filters={filters} onChange={onChange} />
      <ChoiceFilter
        label="Status"
        multiple
        options={STATUSES.map((s) => ({ value: s.value, label: s.label }))}
        value={filters.status}
        onChange={(status) => onChange({ status })}
      />
    </FilterBar>
  );
}

/** A value chosen through the address stays choosable even if the vocabulary lacks it. */
const withChosen = (all: string[], chosen: string[]): string[] => [...all, ...chosen.filter((c) => !all.includes(c))];

function UserFilter({ filters, vocabulary, onChange, signedInAs }: Omit<Props, 'seesOthers'>) {
  const id = useId();
  const [person, setPerson] = useState(filters.user === 'me' ? '' : filters.user);
  useEffect(() => setPerson(filters.user === 'me' ? '' : filters.user), [filters.user]);
  const value = filters.actor ? [filters.actor] : filters.user === 'me' ? ['me'] : [];
  const options = [
    { value: 'me', label: signedInAs ? `Me (${signedInAs})` : 'Me' },
    ...ACTOR_KINDS.map((a) => ({ ...a })),
  ];
  const summary = filters.user && filters.user !== 'me' ? filters.user : undefined;
  const choose = ([v]: string[]): void => {
    if (v === 'me') onChange({ user: 'me', actor: '' });
    else onChange({ user: '', actor: v ?? '' });
  };
  return (
    <ChoiceFilter label="User" options={options} value={value} summary={summary} onChange={choose}>
      <form
        class="choice-extra"
        onSubmit={(e) => {
          e.preventDefault();
          onChange({ user: person.trim(), actor: '' });
        }}
      >
        <label for={`${id}-person`}>A person (login, email or name)</label>
        <div class="inline-field">
          <input
            id={`${id}-person`}
            type="text"
            list={`${id}-people`}
            value={person}
            placeholder="alice@company.com"
            onInput={(e) => setPerson(e.currentTarget.value)}
          />
          <button type="submit" class="button">
            Apply
          </button>
        </div>
        <datalist id={`${id}-people`}>
          {(vocabulary?.people ?? []).map((p) => (
            <option key={p.login} value={p.login}>
              {p.name ?? ''}
            </option>
          ))}
        </datalist>
      </form>
    </ChoiceFilter>
  );
}

type DateFields = Pick<Filters, 'date' | 'from' | 'to'>;

interface DateProps {
  filters: DateFields;
  onChange: (patch: DateFields) => void;
  /** How "no date" reads (Usage Analysis: its default period). */
  anyLabel?: string;
}

/** Date presets or a custom range of days; also the Usage Analysis toolbox's. */
export function DateFilter({ filters, onChange, anyLabel = 'Any time' }: DateProps) {
  const id = useId();
  const [from, setFrom] = useState(filters.from);
  const [to, setTo] = useState(filters.to);
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    setFrom(filters.from);
    setTo(filters.to);
  }, [filters.from, filters.to]);
  const presets = DATE_PRESETS.map((p) => ({ value: p.value, label: p.label }));
  const value = filters.date && filters.date !== 'custom' ? [filters.date] : [];
  return (
    <ChoiceFilter
      label="Date"
      anyLabel={anyLabel}
      options={presets}
      value={value}
      summary={dateSummary(filters)}
      onChange={([date]) => onChange({ date: date ?? '', from: '', to: '' })}
    >
      <form
        class="choice-extra"
        onSubmit={(e) => {
          e.preventDefault();
          const range = customRange(from, to);
          setProblem(range.problem);
          if (range.term) onChange({ date: 'custom', from, to });
        }}
      >
        <fieldset>
          <legend>Custom range</legend>
          <div class="date-range">
            <label>
              From
              <input type="date" value={from} max={to || undefined} onInput={(e) => setFrom(e.currentTarget.value)} />
            </label>
            <label>
              To
              <input type="date" value={to} min={from || undefined} onInput={(e) => setTo(e.currentTarget.value)} />
            </label>
          </div>
        </fieldset>
        {problem ? (
          <p class="field-problem" role="alert" id={`${id}-problem`}>
            {problem}
          </p>
        ) : null}
        <button type="submit" class="button">
          Apply range
        </button>
      </form>
    </ChoiceFilter>
  );
}
