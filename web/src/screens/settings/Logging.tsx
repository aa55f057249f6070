// Logging settings (seed 000, "Customize audit logging"; issue 7): per person
// or group (and for everyone else), a mode Standard, Verbose or Custom, with
// per-type switches in Custom and throttle windows; and what one person gets,
// with which setting won. The address holds the open setting (`?rule=`) and
// the person looked up (`?who=`).

import { useId, useState } from 'preact/hooks';
import { events as eventsApi, people as peopleApi } from '../../api/endpoints';
import { admin, type LoggingSettings, type Policy } from '../../api/settings';
import type { Person } from '../../api/types';
import { setParams } from '../../app/router';
import type { ScreenProps } from '../../app/routes';
import { Confirm } from '../../components/Confirm';
import { EmptyState } from '../../components/EmptyState';
import { Link } from '../../components/Link';
import { SuggestField, at, peopleOptions, type Problem } from './form';
import { SettingsPage } from './Frame';
import { EffectivePanel } from './LoggingEffective';
import { PolicyEditor } from './LoggingEditor';
import { keyOf, policyOf, summary, targetLabel, targetOf, withPolicy, type Target } from './logging-model';
import { LoadState } from './ui';
import { useLoad } from './useLoad';

export function Logging({ place }: ScreenProps) {
  const loaded = useLoad(() => Promise.all([admin.logging(), eventsApi.types(), peopleApi.list(), peopleApi.groups()]));
  const [removing, setRemoving] = useState<Target>();
  const [status, setStatus] = useState<string>();
  const [doc, types, everyone, groups] = loaded.data ?? [undefined, [], [], []];
  const open = targetOf(place.params.get('rule'));
  const who = place.params.get('who') ?? '';
  // Bumped on every save, so that the person looked up is looked up again.
  const [saves, setSaves] = useState(0);

  const save = async (target: Target, policy: Policy | null): Promise<void> => {
    if (!doc) return;
    await admin.saveLogging(withPolicy(doc, target, policy));
    await loaded.reload();
    setSaves((n) => n + 1);
    setStatus(
      policy
        ? `Saved the setting of ${targetLabel(target)}. New events follow it within seconds.`
        : `Removed the setting of ${targetLabel(target)}.`,
    );
  };

  const targets: Target[] = doc
    ? [
        { kind: 'default' },
        ...Object.keys(doc.groups)
          .sort()
          .map((name): Target => ({ kind: 'group', name })),
        ...Object.keys(doc.users)
          .sort()
          .map((name): Target => ({ kind: 'user', name })),
      ]
    : [];
  // A new setting, not saved yet, is listed too.
  if (open && !targets.some((t) => keyOf(t) === keyOf(open))) targets.push(open);

  return (
    <SettingsPage
      status={status}
      section="logging"
      title="Logging"
      intro="What Trail records for whom. A person's own setting wins; without one, their nearest group's; without that, the account default; without that, Standard."
    >
      <LoadState loaded={loaded} what="The logging settings" />
      {doc ? (
        <div class="logging-grid">
          <section class="panel rule-panel" aria-labelledby="rules-title">
            <h2 id="rules-title">Settings</h2>
            <ul class="rule-list">
              {targets.map((t) => {
                const key = keyOf(t);
                const saved = policyOf(doc, t);
                return (
                  <li key={key}>
                    <Link
                      href={`/settings/logging?${new URLSearchParams({ rule: key, ...(who ? { who } : {}) })}`}
                      replace
                      aria-current={open && keyOf(open) === key ? 'page' : undefined}
                    >
                      <span class="rule-who">{targetLabel(t)}</span>
                      <span class="rule-summary">
                        {saved ? summary(saved) : t.kind === 'default' ? summary(undefined) : 'New, not saved'}
                      </span>
                    </Link>
                  </li>
                );
              })}
            </ul>
            <AddTarget doc={doc} everyone={everyone} groups={groups.map((g) => g.name)} />
          </section>
          <section class="panel editor-panel" aria-label="The chosen setting">
            {open ? (
              <PolicyEditor
                key={keyOf(open)}
                target={open}
                saved={policyOf(doc, open)}
                types={types}
                onSave={(p) => save(open, p)}
                onRemove={() => setRemoving(open)}
              />
            ) : (
              <EmptyState title="Choose a setting to change it">
                <p>
                  Or add one for a person or a group. Nobody has a setting of their own until you add one: they get
                  their groups' setting, or the account default.
                </p>
              </EmptyState>
            )}
          </section>
        </div>
      ) : null}
      {doc ? (
        <EffectivePanel
          who={who}
          doc={doc}
          everyone={everyone}
          groups={groups}
          refresh={saves}
          onWho={(login) => setParams({ who: login })}
        />
      ) : null}
      {removing ? (
        <Confirm
          title={`Remove the setting of ${targetLabel(removing)}?`}
          confirm="Remove the setting"
          onClose={() => setRemoving(undefined)}
          onConfirm={async () => {
            await save(removing, null);
            setParams({ rule: undefined });
          }}
        >
          <p>
            {removing.kind === 'default'
              ? 'Everyone without a setting of their own or of a group then gets Standard.'
              : removing.kind === 'user'
                ? 'They then get their nearest group’s setting, or the account default.'
                : 'Its members then get their next group’s setting, or the account default.'}
          </p>
        </Confirm>
      ) : null}
    </SettingsPage>
  );
}

/** Adds a setting for a person or a group: opens the editor on a new one. */
function AddTarget({ doc, everyone, groups }: { doc: LoggingSettings; everyone: Person[]; groups: string[] }) {
  const id = useId();
  const [kind, setKind] = useState<'user' | 'group'>('user');
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<Problem>();
  const add = (): void => {
    const n = name.trim();
    const known = kind === 'user' ? everyone.map((p) => p.login) : groups;
    if (!known.includes(n)) {
      setProblem({
        field: 'name',
        message:
          kind === 'user'
            ? `No person “${n}” in this account. Choose one from the list.`
            : `No group “${n}” in this account. Choose one from the list.`,
      });
      return;
    }
    setProblem(undefined);
    setName('');
    const target: Target = { kind, name: n };
    const existing = policyOf(doc, target);
    setParams({ rule: keyOf(target) }, { replace: !!existing });
  };
  return (
    <form
      class="add-target"
      onSubmit={(e) => {
        e.preventDefault();
        add();
      }}
    >
      <h3>Add a setting</h3>
      <div class="add-target-row">
        <label class="visually-hidden" for={`${id}-kind`}>
          For a
        </label>
        <select id={`${id}-kind`} value={kind} onChange={(e) => setKind(e.currentTarget.value as 'user' | 'group')}>
          <option value="user">Person</option>
          <option value="group">Group</option>
        </select>
        <SuggestField
          label={<span class="visually-hidden">{kind === 'user' ? 'Login' : 'Group name'}</span>}
          error={at(problem, 'name')}
          value={name}
          onInput={setName}
          options={kind === 'user' ? peopleOptions(everyone) : groups.map((g) => ({ value: g }))}
          placeholder={kind === 'user' ? 'Login' : 'Group name'}
          required
        />
        <button type="submit" class="button">
          Add
        </button>
      </div>
    </form>
  );
}
