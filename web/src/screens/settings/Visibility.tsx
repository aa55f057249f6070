// Visibility (seed 004, "Who Can See Logs"; docs/security.md): searches whose
// events only owners see, and each auditor's grant (a search, until a day).
// Admins see these rules but only owners change them, so that admins cannot
// lift what owners keep to themselves: the server refuses admins' changes,
// and the app shows them the rules read-only.

import { useId, useState } from 'preact/hooks';
import { people as peopleApi } from '../../api/endpoints';
import { describe } from '../../api/errors';
import { admin, type Grant, type VisibilityRules } from '../../api/settings';
import type { Person } from '../../api/types';
import type { ScreenProps } from '../../app/routes';
import { Link } from '../../components/Link';
import { Notice } from '../../components/Notice';
import { searchHref } from '../../lib/query';
import { AddInput } from './form';
import { SettingsPage, useIsOwner } from './Frame';
import { endOfDay, lastDay } from './dates';
import { LoadState, TableHead } from './ui';
import { useLoad } from './useLoad';
import { FieldProblem } from '../../components/FieldProblem';

export function Visibility(_: ScreenProps) {
  const loaded = useLoad(() => Promise.all([admin.visibility(), peopleApi.list()]));
  const owner = useIsOwner();
  const [status, setStatus] = useState<string>();
  return (
    <SettingsPage
      status={status}
      section="visibility"
      title="Visibility"
      intro="Owners see every event, admins every event but the owner-only ones, members their own activity, and auditors only what an owner granted them."
    >
      <LoadState loaded={loaded} what="The visibility rules" />
      {!owner ? (
        <Notice title="Only owners change these rules">
          You can see them; an owner changes them, so that what owners keep to themselves stays with them.
        </Notice>
      ) : null}
      {loaded.data ? (
        // Made anew from each saved answer, which is then the form's starting point.
        <RulesForm
          key={JSON.stringify(loaded.data[0])}
          saved={loaded.data[0]}
          everyone={loaded.data[1]}
          owner={owner}
          onSaved={async () => {
            await loaded.reload();
            setStatus('Saved. Every read from now on follows these rules.');
          }}
          onChange={() => setStatus(undefined)}
        />
      ) : null}
    </SettingsPage>
  );
}

interface Row {
  key: number;
  login: string;
  query: string;
  /** As saved; kept unless the day is changed (a day is coarser than an instant). */
  until: string | null;
  day: string;
  dayChanged: boolean;
}

let nextKey = 0;
const rowsOf = (grants: Record<string, Grant>): Row[] =>
  Object.entries(grants).map(([login, g]) => ({
    key: nextKey++,
    login,
    query: g.query,
    until: g.until,
    day: g.until ? lastDay(g.until) : '',
    dayChanged: false,
  }));

interface FormProps {
  saved: VisibilityRules;
  everyone: Person[];
  owner: boolean;
  onSaved: () => Promise<void>;
  onChange: () => void;
}

function RulesForm({ saved, everyone, owner, onSaved, onChange }: FormProps) {
  const id = useId();
  const [searches, setSearches] = useState(() => saved.owner_only.map((q) => ({ key: nextKey++, q })));
  const [grants, setGrants] = useState<Row[]>(() => rowsOf(saved.grants));
  const [problem, setProblem] = useState<{ key?: number; message: string }>();
  const [busy, setBusy] = useState(false);
  const auditors = everyone.filter((p) => p.role === 'auditor').map((p) => p.login);
  const readOnly = !owner;

  const rules = (): VisibilityRules => ({
    owner_only: searches.map((s) => s.q.trim()).filter(Boolean),
    grants: Object.fromEntries(
      grants.map((g) => [
        g.login,
        { query: g.query.trim(), until: g.dayChanged ? (g.day ? endOfDay(g.day) : null) : g.until },
      ]),
    ),
  });
  const dirty = JSON.stringify(rules()) !== JSON.stringify({ owner_only: saved.owner_only, grants: saved.grants });

  const save = async (): Promise<void> => {
    const twice = grants.find((g, i) => grants.findIndex((h) => h.login === g.login) !== i);
    if (twice) {
      setProblem({ key: twice.key, message: `${twice.login} has two grants: an auditor has one, so merge them.` });
      return;
    }
    const blank = grants.find((g) => !g.query.trim());
    if (blank) {
      setProblem({ key: blank.key, message: `The grant of ${blank.login} needs a search: what may they see?` });
      return;
    }
    setBusy(true);
    setProblem(undefined);
    try {
      await admin.saveVisibility(rules());
      await onSaved();
      return;
    } catch (e) {
      const message = describe(e);
      // The API quotes the search it cannot read: `owner_only: "usr:alice": unknown field …`.
      const quoted = /^(?:owner_only|grants): "((?:[^"\\]|\\.)*)"/.exec(message)?.[1];
      const q = quoted === undefined ? undefined : (JSON.parse(`"${quoted}"`) as string);
      const key =
        searches.find((s) => s.q.trim() === q)?.key ?? grants.find((g) => g.query.trim() === q)?.key ?? undefined;
      setProblem({ key, message });
    }
    setBusy(false);
  };

  const addGrant = (): void => {
    const login = auditors.find((a) => !grants.some((g) => g.login === a)) ?? auditors[0] ?? '';
    setGrants([...grants, { key: nextKey++, login, query: '', until: null, day: '', dayChanged: true }]);
  };

  const change = (key: number, patch: Partial<Row>): void =>
    setGrants(grants.map((g) => (g.key === key ? { ...g, ...patch } : g)));
  const invalid = (key: number): true | undefined => (problem?.key === key ? true : undefined);
  const now = Date.now();

  return (
    <form
      class="visibility"
      noValidate
      onInput={onChange}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <section class="panel" aria-labelledby={`${id}-owner`}>
        <h2 id={`${id}-owner`}>Owner-only events</h2>
        <p class="field-hint">
          Events matching any of these searches are seen by owners only, e.g. the owners' own sign-ins:{' '}
          <code>user:owner type:user-signed-in,user-sign-in-failed</code>. Rules follow people's and groups' current
          names and members.
        </p>
        {searches.length ? (
          <ul class="search-list">
            {searches.map((s, i) => (
              <li key={s.key}>
                <input
                  type="text"
                  value={s.q}
                  readOnly={readOnly}
                  aria-label={`Owner-only search ${i + 1}`}
                  aria-invalid={invalid(s.key)}
                  onInput={(e) => {
                    const q = e.currentTarget.value;
                    setSearches(searches.map((x) => (x.key === s.key ? { ...x, q } : x)));
                  }}
                />
                <Link href={searchHref(s.q)}>its events</Link>
                {readOnly ? null : (
                  <button
                    type="button"
                    class="icon-button"
                    aria-label={`Remove the search ${s.q || i + 1}`}
                    onClick={() => setSearches(searches.filter((x) => x.key !== s.key))}
                  >
                    <span aria-hidden="true">×</span>
                  </button>
                )}
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">None: admins see every event.</p>
        )}
        {readOnly ? null : (
          <AddInput
            class="add-search"
            label="A new owner-only search"
            labelHidden
            placeholder="A search, as in Activity Logs"
            button="Add the search"
            onAdd={(q) => setSearches([...searches, { key: nextKey++, q }])}
          />
        )}
      </section>

      <section class="panel" aria-labelledby={`${id}-grants`}>
        <h2 id={`${id}-grants`}>Auditors' grants</h2>
        <p class="field-hint">
          An auditor sees the events of their grant's search, until the end of its last day; without a live grant, they
          see nothing.
        </p>
        {grants.length ? (
          <table class="settings-table grants-table">
            <TableHead columns={['Auditor', 'Sees the events of', 'Last day']} />
            <tbody>
              {grants.map((g) => {
                const until = g.dayChanged ? (g.day ? endOfDay(g.day) : null) : g.until;
                const ended = until !== null && Date.parse(until) <= now;
                return (
                  <tr key={g.key} data-auditor={g.login}>
                    <td>
                      <select
                        value={g.login}
                        disabled={readOnly}
                        aria-label="Auditor"
                        aria-invalid={invalid(g.key)}
                        onChange={(e) => change(g.key, { login: e.currentTarget.value })}
                      >
                        {[...new Set([...auditors, g.login])].filter(Boolean).map((a) => (
                          <option key={a} value={a}>
                            {a}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>
                      <input
                        type="text"
                        class="grant-query"
                        value={g.query}
                        readOnly={readOnly}
                        aria-label={`Search granted to ${g.login}`}
                        aria-invalid={invalid(g.key)}
                        onInput={(e) => change(g.key, { query: e.currentTarget.value })}
                      />
                    </td>
                    <td>
                      <input
                        type="date"
                        value={g.day}
                        readOnly={readOnly}
                        aria-label={`Last day of ${g.login}'s grant (empty: until removed)`}
                        onInput={(e) => change(g.key, { day: e.currentTarget.value, dayChanged: true })}
                      />
                      {ended ? <span class="role-tag ended-tag">ended</span> : null}
                    </td>
                    <td class="cell-actions">
                      {readOnly ? null : (
                        <button
                          type="button"
                          class="button small danger"
                          aria-label={`Remove the grant of ${g.login}`}
                          onClick={() => setGrants(grants.filter((x) => x.key !== g.key))}
                        >
                          Remove
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : auditors.length ? (
          <p class="muted">No grants: auditors see nothing.</p>
        ) : (
          <p class="muted">
            No one has the auditor role. Give someone that role under <Link href="/settings/people">People</Link>, then
            grant them a search here.
          </p>
        )}
        {readOnly || !auditors.length ? null : (
          <button type="button" class="button add-grant" onClick={addGrant}>
            Add a grant
          </button>
        )}
      </section>
      {problem ? <FieldProblem>{problem.message}</FieldProblem> : null}
      {readOnly ? null : (
        <div class="editor-actions">
          <button type="submit" class="button primary" disabled={busy || !dirty}>
            Save
          </button>
          {dirty ? <span class="unsaved">Unsaved changes</span> : null}
        </div>
      )}
    </form>
  );
}
