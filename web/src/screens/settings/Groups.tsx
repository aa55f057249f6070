// Groups (issue 7): groups nest (a group includes its subgroups' members, for
// logging settings and searches); creating one, adding and removing members.
// Only owners change the members of a group the visibility rules name, or of
// a group nested in one: the server refuses admins, and says so.

import { useState } from 'preact/hooks';
import { people as peopleApi } from '../../api/endpoints';
import { admin } from '../../api/settings';
import type { Group, Person } from '../../api/types';
import type { ScreenProps } from '../../app/routes';
import { Confirm } from '../../components/Confirm';
import { Dialog } from '../../components/Dialog';
import { EmptyState } from '../../components/EmptyState';
import { Link } from '../../components/Link';
import { quote, searchHref } from '../../lib/query';
import { DialogActions, Field, FormProblem, SuggestField, at, peopleOptions, problemOf, type Problem } from './form';
import { SettingsPage } from './Frame';
import { groupTree } from './roles';
import { LoadState, TableHead } from './ui';
import { useLoad } from './useLoad';

type Doing =
  { what: 'create' } | { what: 'add'; group: Group } | { what: 'remove'; group: Group; login: string } | undefined;

export function Groups(_: ScreenProps) {
  const loaded = useLoad(() => Promise.all([peopleApi.groups(), peopleApi.list()]));
  const [doing, setDoing] = useState<Doing>();
  const [status, setStatus] = useState<string>();
  const [groups, everyone] = loaded.data ?? [[], []];
  const done = (text: string): void => {
    setStatus(text);
    void loaded.reload();
  };

  return (
    <SettingsPage
      status={status}
      section="groups"
      title="Groups"
      intro="Teams of people. A group may sit inside another: it then counts as part of it, for logging settings and for searches such as group:data-team."
      actions={
        <button type="button" class="button primary" onClick={() => setDoing({ what: 'create' })}>
          New group
        </button>
      }
    >
      <LoadState loaded={loaded} what="Groups" />
      {loaded.data && !groups.length ? (
        <EmptyState
          title="No groups yet"
          actions={
            <button type="button" class="button primary" onClick={() => setDoing({ what: 'create' })}>
              Create the first group
            </button>
          }
        >
          <p>Create groups for your teams, then give a group its own logging setting or search its activity.</p>
        </EmptyState>
      ) : null}
      {groups.length ? (
        <table class="settings-table groups-table">
          <caption class="visually-hidden">Groups</caption>
          <TableHead columns={['Group', 'Direct members']} />
          <tbody>
            {groupTree(groups).map(({ group, depth }) => (
              <tr key={group.id} data-group={group.name}>
                <th scope="row" class={`group-name depth-${Math.min(depth, 4)}`}>
                  <span>{group.name}</span>
                  <Link class="group-activity" href={searchHref(`group:${quote(group.name)}`)}>
                    activity
                  </Link>
                </th>
                <td class="cell-wrap">
                  {group.members.length ? (
                    <ul class="chips" aria-label={`Members of ${group.name}`}>
                      {group.members.map((login) => (
                        <li key={login} class="chip">
                          {login}
                          <button
                            type="button"
                            class="chip-remove"
                            aria-label={`Remove ${login} from ${group.name}`}
                            onClick={() => setDoing({ what: 'remove', group, login })}
                          >
                            <span aria-hidden="true">×</span>
                          </button>
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <span class="muted">
                      {groups.some((g) => g.parent === group.name) ? 'Only the groups inside it' : 'No one yet'}
                    </span>
                  )}
                </td>
                <td class="cell-actions">
                  <button
                    type="button"
                    class="button small"
                    aria-label={`Add a member to ${group.name}`}
                    onClick={() => setDoing({ what: 'add', group })}
                  >
                    Add a member
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {doing?.what === 'create' ? (
        <CreateGroup groups={groups} onClose={() => setDoing(undefined)} onDone={done} />
      ) : null}
      {doing?.what === 'add' ? (
        <AddMember group={doing.group} everyone={everyone} onClose={() => setDoing(undefined)} onDone={done} />
      ) : null}
      {doing?.what === 'remove' ? (
        <Confirm
          title={`Remove ${doing.login} from ${doing.group.name}?`}
          confirm="Remove from the group"
          onClose={() => setDoing(undefined)}
          onConfirm={async () => {
            await admin.removeMember(doing.group.name, doing.login);
            done(`Removed ${doing.login} from ${doing.group.name}.`);
          }}
        >
          <p>
            They stay in the account, and their events stay in the log. The group's logging setting no longer applies to
            them.
          </p>
        </Confirm>
      ) : null}
    </SettingsPage>
  );
}

function CreateGroup({
  groups,
  onClose,
  onDone,
}: {
  groups: Group[];
  onClose: () => void;
  onDone: (s: string) => void;
}) {
  const [name, setName] = useState('');
  const [parent, setParent] = useState('');
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const create = async (): Promise<void> => {
    setBusy(true);
    try {
      await admin.addGroup(name.trim(), parent || undefined);
      onDone(`Created the group ${name.trim()}.`);
      onClose();
    } catch (e) {
      setProblem(problemOf(e, { name: ['name', 'group'], parent: ['no group'] }));
      setBusy(false);
    }
  };
  return (
    <Dialog title="New group" onClose={onClose}>
      <form
        class="dialog-body settings-form"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <Field label="Name" hint="For example data-team or contractors." error={at(problem, 'name')}>
          {(a) => (
            <input {...a} type="text" value={name} required autoFocus onInput={(e) => setName(e.currentTarget.value)} />
          )}
        </Field>
        <Field label="Inside" hint="Optional: the group this one is part of." error={at(problem, 'parent')}>
          {(a) => (
            <select {...a} value={parent} onChange={(e) => setParent(e.currentTarget.value)}>
              <option value="">No group (top level)</option>
              {groupTree(groups).map(({ group }) => (
                <option key={group.id} value={group.name}>
                  {group.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <FormProblem problem={problem} />
        <DialogActions busy={busy} submit="Create the group" onCancel={onClose} />
      </form>
    </Dialog>
  );
}

function AddMember({
  group,
  everyone,
  onClose,
  onDone,
}: {
  group: Group;
  everyone: Person[];
  onClose: () => void;
  onDone: (s: string) => void;
}) {
  const [login, setLogin] = useState('');
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const candidates = everyone.filter((p) => !group.members.includes(p.login));
  const add = async (): Promise<void> => {
    const who = login.trim();
    if (!everyone.some((p) => p.login === who)) {
      setProblem({ field: 'login', message: `No person “${who}” in this account: add them under People first.` });
      return;
    }
    setBusy(true);
    try {
      await admin.addMember(group.name, who);
      onDone(`Added ${who} to ${group.name}.`);
      onClose();
    } catch (e) {
      setProblem(problemOf(e, { login: ['no person'] }));
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Add a member to ${group.name}`} onClose={onClose}>
      <form
        class="dialog-body settings-form"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <SuggestField
          label="Person"
          hint="Type a login or a name and choose from the list."
          error={at(problem, 'login')}
          value={login}
          onInput={setLogin}
          options={peopleOptions(candidates)}
          required
          autoFocus
        />
        <FormProblem problem={problem} />
        <DialogActions busy={busy} submit="Add to the group" onCancel={onClose} />
      </form>
    </Dialog>
  );
}
