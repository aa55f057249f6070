// What one person gets (GET /api/v1/logging-settings/effective?user=), and
// why: the steps of the rule, the one that won marked.

import { useEffect, useState } from 'preact/hooks';
import { describe } from '../../api/errors';
import { admin, type Effective, type LoggingSettings } from '../../api/settings';
import type { Group, Person } from '../../api/types';
import { SuggestField, peopleOptions } from './form';
import { modeLabel, summary, window } from './logging-model';
import { groupDistances } from './roles';
import { FieldProblem } from '../../components/FieldProblem';

interface Props {
  who: string;
  doc: LoggingSettings;
  everyone: Person[];
  groups: Group[];
  /** Changes on every save: the answer is asked for again. */
  refresh: number;
  onWho: (login: string) => void;
}

export function EffectivePanel({ who, doc, everyone, groups, refresh, onWho }: Props) {
  const [typed, setTyped] = useState(who);
  const [answer, setAnswer] = useState<Effective>();
  const [problem, setProblem] = useState<string>();

  useEffect(() => setTyped(who), [who]);
  useEffect(() => {
    if (!who) {
      setAnswer(undefined);
      return;
    }
    let live = true;
    admin
      .effective(who)
      .then((a) => live && (setAnswer(a), setProblem(undefined)))
      .catch((e: unknown) => live && (setAnswer(undefined), setProblem(describe(e))));
    return () => {
      live = false;
    };
  }, [who, refresh]);

  return (
    <section class="panel effective" aria-labelledby="effective-title">
      <h2 id="effective-title">What one person gets</h2>
      <form
        class="effective-form"
        onSubmit={(e) => {
          e.preventDefault();
          onWho(typed.trim());
        }}
      >
        <SuggestField
          label="Person"
          hint="Their settings as the server applies them to their next event."
          value={typed}
          onInput={setTyped}
          options={peopleOptions(everyone)}
        />
        <button type="submit" class="button">
          Show
        </button>
      </form>
      {problem ? <FieldProblem>{problem}</FieldProblem> : null}
      {answer ? <Explained answer={answer} doc={doc} groups={groups} /> : null}
    </section>
  );
}

function Explained({ answer, doc, groups }: { answer: Effective; doc: LoggingSettings; groups: Group[] }) {
  const login = answer.user;
  const from = answer.source?.from ?? 'standard';
  const theirs = groupDistances(login, groups).sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name));
  const withSetting = theirs.filter((g) => doc.groups[g.name]);
  const nearest = answer.source?.from === 'group' ? answer.source.name : withSetting[0]?.name;
  const steps = [
    {
      from: 'user',
      label: 'Their own setting',
      state: doc.users[login] ? summary(doc.users[login]) : 'none',
    },
    {
      from: 'group',
      label: 'Their nearest group with a setting',
      state: nearest
        ? `${nearest}: ${summary(doc.groups[nearest])}`
        : theirs.length
          ? `none of their groups (${theirs.map((g) => g.name).join(', ')}) has one`
          : 'they are in no group',
    },
    { from: 'default', label: 'The account default', state: doc.default ? summary(doc.default) : 'not set' },
    { from: 'standard', label: 'Standard', state: 'when nothing above applies' },
  ];
  const throttles = Object.entries(answer.policy?.throttle ?? {});
  return (
    <div class="effective-answer" aria-live="polite">
      <p class="effective-verdict">
        <strong>{login}</strong> gets <strong>{modeLabel(answer.policy)}</strong>
        {answer.source?.from === 'group' ? `, from the group ${answer.source.name}` : null}
        {from === 'user' ? ', their own setting' : null}
        {from === 'default' ? ', the account default' : null}
        {from === 'standard' ? ': no setting applies to them' : null}.
      </p>
      <ol class="precedence" aria-label="Which setting applies, first match wins">
        {steps.map((s) => (
          <li key={s.from} class={s.from === from ? 'is-won' : ''}>
            <span class="step-label">{s.label}</span>
            <span class="step-state">{s.state}</span>
            {s.from === from ? <span class="step-won">applies</span> : null}
          </li>
        ))}
      </ol>
      <dl class="facts">
        <div>
          <dt>Not recorded</dt>
          <dd>{answer.disabled_types.length ? answer.disabled_types.join(', ') : 'no type is turned off'}</dd>
        </div>
        <div>
          <dt>Debug-level events</dt>
          <dd>
            {answer.debug
              ? 'recorded'
              : answer.debug_types.length
                ? `recorded only for ${answer.debug_types.join(', ')}`
                : 'not recorded'}
          </dd>
        </div>
        <div>
          <dt>Throttled</dt>
          <dd>{throttles.length ? throttles.map(([t, s]) => `${t}: one per ${window(s)}`).join('; ') : 'nothing'}</dd>
        </div>
      </dl>
    </div>
  );
}
