// People (issue 7, "users, groups and roles"): everyone of the account, those
// who sign in and those seen in events; adding a person, changing their name,
// e-mail, role, password and groups. Admins neither make nor change owners
// (docs/security.md): the server refuses it, so their rows offer no change.

import { useMemo, useState } from 'preact/hooks';
import { people as peopleApi } from '../../api/endpoints';
import { describe } from '../../api/errors';
import { admin, type PersonChange } from '../../api/settings';
import type { Group, Person, Role } from '../../api/types';
import { setParams } from '../../app/router';
import type { ScreenProps } from '../../app/routes';
import { Dialog } from '../../components/Dialog';
import { EmptyState } from '../../components/EmptyState';
import { dayOf } from '../../lib/format';
import { DialogActions, Field, FormProblem, at, problemOf, type Problem } from './form';
import { SettingsPage, useIsOwner } from './Frame';
import { ROLES, groupTree, groupsOf, mayEdit, roleName, rolesFor } from './roles';
import { LoadState, OwnersOnly, TableHead } from './ui';
import { useLoad } from './useLoad';

const FIELDS = {
  login: ['login', 'user'],
  name: ['name'],
  email: ['email'],
  role: ['role', 'unknown role'],
  password: ['password'],
};

type Editing = { person?: Person } | undefined;

export function People({ place }: ScreenProps) {
  const owner = useIsOwner();
  const loaded = useLoad(() => Promise.all([peopleApi.list(), peopleApi.groups()]));
  const [editing, setEditing] = useState<Editing>();
  const [status, setStatus] = useState<{ kind: 'info' | 'warning'; text: string }>();
  const filter = place.params.get('q') ?? '';
  const [everyone, groups] = loaded.data ?? [[], []];
  const shown = useMemo(() => {
    const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
    return everyone.filter((p) => {
      const text = `${p.login} ${p.name ?? ''} ${p.email ?? ''} ${p.role}`.toLowerCase();
      return words.every((w) => text.includes(w));
    });
  }, [everyone, filter]);

  return (
    <SettingsPage
      status={status}
      section="people"
      title="People"
      intro="Everyone of the account: those who sign in and those seen in events. A person's role decides what they see and may change."
      actions={
        <button type="button" class="button primary" onClick={() => setEditing({})}>
          Add a person
        </button>
      }
    >
      <div class="settings-toolbar">
        <label class="inline-label">
          Find
          <input
            type="search"
            value={filter}
            placeholder="Name, login, e-mail or role"
            onInput={(e) => setParams({ q: e.currentTarget.value })}
          />
        </label>
        {loaded.data ? (
          <span class="muted" aria-live="polite">
            {shown.length === everyone.length ? `${everyone.length} people` : `${shown.length} of ${everyone.length}`}
          </span>
        ) : null}
      </div>
      <LoadState loaded={loaded} what="People" />
      {loaded.data && !shown.length ? (
        everyone.length ? (
          <EmptyState
            title="No one matches"
            actions={
              <button type="button" class="button" onClick={() => setParams({ q: undefined })}>
                Show everyone
              </button>
            }
          >
            <p>Nobody's name, login, e-mail or role contains “{filter}”.</p>
          </EmptyState>
        ) : (
          <EmptyState title="No people yet">
            <p>
              People appear here when they first show up in an event, or when you add them. Add a person with a password
              to let them sign in.
            </p>
          </EmptyState>
        )
      ) : null}
      {shown.length ? (
        <table class="settings-table">
          <caption class="visually-hidden">People</caption>
          <TableHead columns={['Name', 'Login', 'E-mail', 'Role', 'Groups', 'Joined']} />
          <tbody>
            {shown.map((p) => (
              <tr key={p.id} data-login={p.login}>
                <td>{p.name || <span class="muted">—</span>}</td>
                <td>
                  <code>{p.login}</code>
                </td>
                <td>{p.email ?? ''}</td>
                <td>
                  <span class={`role-tag role-${p.role}`}>{roleName(p.role)}</span>
                </td>
                <td class="cell-wrap">{groupsOf(p.login, groups).join(', ')}</td>
                <td>{dayOf(new Date(p.joined))}</td>
                <td class="cell-actions">
                  {mayEdit(p, owner) ? (
                    <button
                      type="button"
                      class="button small"
                      aria-label={`Edit ${p.login}`}
                      onClick={() => setEditing({ person: p })}
                    >
                      Edit
                    </button>
                  ) : (
                    <OwnersOnly why="Only owners change owners" />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {editing ? (
        <PersonDialog
          person={editing.person}
          groups={groups}
          owner={owner}
          onClose={() => setEditing(undefined)}
          onSaved={(text, kind) => {
            setStatus({ kind, text });
            void loaded.reload();
          }}
        />
      ) : null}
    </SettingsPage>
  );
}

interface DialogProps {
  person: Person | undefined;
  groups: Group[];
  owner: boolean;
  onClose: () => void;
  onSaved: (text: string, kind: 'info' | 'warning') => void;
}

function PersonDialog({ person, groups, owner, onClose, onSaved }: DialogProps) {
  const [login, setLogin] = useState(person?.login ?? '');
  const [name, setName] = useState(person?.name ?? '');
  const [email, setEmail] = useState(person?.email ?? '');
  const [role, setRole] = useState<Role>(person?.role ?? 'member');
  const [password, setPassword] = useState('');
  const before = useMemo(() => new Set(person ? groupsOf(person.login, groups) : []), [person, groups]);
  const [member, setMember] = useState<Set<string>>(before);
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);

  const toggle = (group: string, on: boolean): void => {
    const next = new Set(member);
    if (on) next.add(group);
    else next.delete(group);
    setMember(next);
  };

  const save = async (): Promise<void> => {
    setBusy(true);
    setProblem(undefined);
    const who = login.trim();
    try {
      if (!person) {
        await admin.addPerson({
          login: who,
          role,
          name: name.trim() || undefined,
          email: email.trim() || undefined,
          password: password || undefined,
        });
      } else {
        const change: PersonChange = {};
        if (name !== (person.name ?? '')) change.name = name.trim();
        if (email !== (person.email ?? '')) change.email = email.trim();
        if (role !== person.role) change.role = role;
        if (password) change.password = password;
        if (Object.keys(change).length) await admin.changePerson(person.login, change);
      }
    } catch (e) {
      setProblem(problemOf(e, FIELDS));
      setBusy(false);
      return;
    }
    // Memberships one by one: a refusal of one (a group the owners' rules
    // name) is reported, the others still happen.
    const refused: string[] = [];
    for (const g of groups.map((x) => x.name)) {
      const want = member.has(g);
      if (want === before.has(g)) continue;
      try {
        await (want ? admin.addMember(g, who) : admin.removeMember(g, who));
      } catch (e) {
        refused.push(`${want ? 'adding to' : 'removing from'} ${g}: ${describe(e)}`);
      }
    }
    const what = person ? `Saved the changes to ${who}` : `Added ${who} as ${roleName(role)}`;
    if (refused.length) onSaved(`${what}, but not every group changed (${refused.join('; ')})`, 'warning');
    else onSaved(`${what}.`, 'info');
    onClose();
  };

  const roleHint = ROLES.find((r) => r.role === role)?.hint;
  return (
    <Dialog title={person ? `Edit ${person.login}` : 'Add a person'} onClose={onClose}>
      <form
        class="dialog-body settings-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Field
          label="Login"
          hint={
            person ? 'A login does not change.' : 'What they sign in with, and how events name them; often an e-mail.'
          }
          error={at(problem, 'login')}
        >
          {(a) => (
            <input
              {...a}
              type="text"
              value={login}
              required
              readOnly={!!person}
              autoFocus={!person}
              autoComplete="off"
              onInput={(e) => setLogin(e.currentTarget.value)}
            />
          )}
        </Field>
        <div class="field-row">
          <Field label="Name" error={at(problem, 'name')}>
            {(a) => (
              <input
                {...a}
                type="text"
                value={name}
                autoFocus={!!person}
                onInput={(e) => setName(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label="E-mail" error={at(problem, 'email')}>
            {(a) => <input {...a} type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />}
          </Field>
        </div>
        <Field
          label="Role"
          hint={
            <>
              {person && role !== person.role ? (
                <strong>
                  {roleName(person.role)} → {roleName(role)}
                </strong>
              ) : (
                roleName(role)
              )}
              : {roleHint}.{owner ? null : ' Only owners make owners.'}
            </>
          }
          error={at(problem, 'role')}
        >
          {(a) => (
            <select {...a} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              {rolesFor(owner).map((r) => (
                <option key={r} value={r}>
                  {roleName(r)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label={person ? 'New password' : 'Password'}
          hint={
            person
              ? 'Leave empty to keep the current one. At least 12 characters.'
              : 'Lets them sign in to this app; at least 12 characters. Leave empty for people who only appear in events.'
          }
          error={at(problem, 'password')}
        >
          {(a) => (
            <input
              {...a}
              type="password"
              value={password}
              autoComplete="new-password"
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        {groups.length ? (
          <fieldset class="group-choices">
            <legend>Groups</legend>
            {groupTree(groups).map(({ group, depth }) => (
              <label key={group.id} class={`check depth-${Math.min(depth, 4)}`}>
                <input
                  type="checkbox"
                  checked={member.has(group.name)}
                  onChange={(e) => toggle(group.name, e.currentTarget.checked)}
                />
                {group.name}
              </label>
            ))}
          </fieldset>
        ) : null}
        <FormProblem problem={problem} />
        <DialogActions busy={busy} submit={person ? 'Save changes' : 'Add the person'} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
