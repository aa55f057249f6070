// API keys (issue 7): the account's keys by name, prefix, scope, person,
// addresses, creation, last use and expiry; making one (its secret is shown
// once, in a box to copy, and never again: the server keeps only a hash);
// revoking one after a confirmation. Keys that stand for owners (account admin
// keys, owners' personal keys) are the owners' to make and revoke, and only
// owners make keys that act as someone else (docs/security.md, "Callers").

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { people as peopleApi } from '../../api/endpoints';
import { admin, type ApiKey, type NewKey, type Scope } from '../../api/settings';
import type { Person } from '../../api/types';
import type { ScreenProps } from '../../app/routes';
import { useSession } from '../../app/session';
import { Confirm } from '../../components/Confirm';
import { Dialog } from '../../components/Dialog';
import { EmptyState } from '../../components/EmptyState';
import { Notice } from '../../components/Notice';
import { formatTime } from '../../lib/format';
import { DialogActions, Field, FormProblem, SuggestField, at, peopleOptions, problemOf, type Problem } from './form';
import { SettingsPage, useIsOwner } from './Frame';
import { endOfDay } from './dates';
import { LoadState, OwnersOnly, TableHead } from './ui';
import { useLoad } from './useLoad';
import { FieldProblem } from '../../components/FieldProblem';

const SCOPES: { scope: Scope; label: string; hint: string }[] = [
  { scope: 'ingest', label: 'Ingest', hint: 'sends events and sessions, reads nothing; safe to embed in a web page' },
  { scope: 'read', label: 'Read', hint: 'searches and exports the log, as an admin sees it' },
  { scope: 'admin', label: 'Admin', hint: 'everything, settings included' },
];

const FIELDS = {
  name: ['name'],
  scope: ['scope', 'unknown scope'],
  user: ['user', 'no person'],
  allowed_ips: ['allowed_ips'],
  expires_at: ['expires_at'],
};

const isLive = (k: ApiKey, now: number): boolean => !k.revoked_at && !(k.expires_at && Date.parse(k.expires_at) <= now);

export function Keys(_: ScreenProps) {
  const owner = useIsOwner();
  const loaded = useLoad(() => Promise.all([admin.keys(), peopleApi.list()]));
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey>();
  const [status, setStatus] = useState<string>();
  const [keys, everyone] = loaded.data ?? [[], []];
  const now = Date.now();
  const live = keys.filter((k) => isLive(k, now));
  const gone = keys.filter((k) => !isLive(k, now));
  const person = (id: string | null): Person | undefined => everyone.find((p) => p.id === id);
  // Keys that stand for owners are the owners' to revoke.
  const ownersKey = (k: ApiKey): boolean => (k.user ? person(k.user)?.role === 'owner' : k.scope === 'admin');

  const columns = (k: ApiKey) => (
    <>
      <td>
        <strong>{k.name}</strong>
      </td>
      <td>
        <code class="key-prefix">{k.prefix}…</code>
      </td>
      <td>{SCOPES.find((s) => s.scope === k.scope)?.label ?? k.scope}</td>
      <td>{k.user ? (person(k.user)?.login ?? 'someone removed') : <span class="muted">the account</span>}</td>
      <td class="cell-wrap">{k.allowed_ips.length ? k.allowed_ips.join(', ') : <span class="muted">anywhere</span>}</td>
      <td>{formatTime(k.created_at)}</td>
      <td>{k.last_used_at ? formatTime(k.last_used_at) : <span class="muted">never</span>}</td>
    </>
  );

  return (
    <SettingsPage
      status={status}
      section="keys"
      title="API keys"
      intro="Keys let services send events and scripts read the log. A key is shown once, when it is made; Trail keeps only a hash of it."
      actions={
        <button type="button" class="button primary" onClick={() => setCreating(true)}>
          Create a key
        </button>
      }
    >
      <LoadState loaded={loaded} what="Keys" />
      {loaded.data && !live.length ? (
        <EmptyState
          title="No keys in use"
          actions={
            <button type="button" class="button primary" onClick={() => setCreating(true)}>
              Create a key
            </button>
          }
        >
          <p>
            Create an <strong>ingest</strong> key to send events from a service or a web page, or a{' '}
            <strong>read</strong> key to search the log from a script.
          </p>
        </EmptyState>
      ) : null}
      {live.length ? (
        <table class="settings-table keys-table live-keys">
          <caption class="visually-hidden">Keys in use</caption>
          <KeyHead last="Expires" />
          <tbody>
            {live.map((k) => (
              <tr key={k.id} data-key={k.id}>
                {columns(k)}
                <td>{k.expires_at ? formatTime(k.expires_at) : <span class="muted">never</span>}</td>
                <td class="cell-actions">
                  {owner || !ownersKey(k) ? (
                    <button
                      type="button"
                      class="button small danger"
                      aria-label={`Revoke ${k.name}`}
                      onClick={() => setRevoking(k)}
                    >
                      Revoke
                    </button>
                  ) : (
                    <OwnersOnly why="Keys that stand for owners are the owners' to revoke" />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {gone.length ? (
        <details class="settings-more">
          <summary>Revoked and expired keys ({gone.length})</summary>
          <table class="settings-table keys-table">
            <caption class="visually-hidden">Revoked and expired keys</caption>
            <KeyHead last="Ended" />
            <tbody>
              {gone.map((k) => (
                <tr key={k.id} data-key={k.id} class="is-ended">
                  {columns(k)}
                  <td>
                    {k.revoked_at ? `revoked ${formatTime(k.revoked_at)}` : `expired ${formatTime(k.expires_at ?? '')}`}
                  </td>
                  <td />
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ) : null}
      {creating ? (
        <CreateKey
          owner={owner}
          everyone={everyone}
          onClose={() => setCreating(false)}
          onCreated={(k) => {
            setStatus(`Created the key ${k.name} (${k.prefix}…).`);
            void loaded.reload();
          }}
        />
      ) : null}
      {revoking ? (
        <Confirm
          title={`Revoke ${revoking.name}?`}
          confirm="Revoke the key"
          onClose={() => setRevoking(undefined)}
          onConfirm={async () => {
            await admin.revokeKey(revoking.id);
            setStatus(`Revoked the key ${revoking.name} (${revoking.prefix}…).`);
            await loaded.reload();
          }}
        >
          <p>
            Requests with <code>{revoking.prefix}…</code> are refused from now on, and this cannot be undone. Whatever
            uses it needs a new key.
          </p>
        </Confirm>
      ) : null}
    </SettingsPage>
  );
}

const KeyHead = ({ last }: { last: string }) => (
  <TableHead columns={['Name', 'Key', 'Scope', 'Acts as', 'Allowed from', 'Created', 'Last used', last]} />
);

interface CreateProps {
  owner: boolean;
  everyone: Person[];
  onClose: () => void;
  onCreated: (key: ApiKey) => void;
}

function CreateKey({ owner, everyone, onClose, onCreated }: CreateProps) {
  const { me } = useSession();
  const scopeName = useId();
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Scope>('ingest');
  // Owners may name anyone; admins may make a key of their own.
  const [user, setUser] = useState('');
  const [mine, setMine] = useState(false);
  const [ips, setIps] = useState('');
  const [through, setThrough] = useState('');
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const [made, setMade] = useState<ApiKey>();

  const actsAs = owner ? user.trim() : mine ? (me.login ?? '') : '';
  // An account admin key stands for the owners.
  const scopeRefused = (s: Scope): boolean => !owner && s === 'admin' && !actsAs;

  const create = async (): Promise<void> => {
    setProblem(undefined);
    if (scopeRefused(scope)) {
      setProblem({ field: 'scope', message: 'Only owners make account admin keys: make it a key of your own.' });
      return;
    }
    const key: NewKey = {
      name: name.trim(),
      scope,
      allowed_ips: ips
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    };
    if (actsAs) key.user = actsAs;
    if (through) key.expires_at = endOfDay(through);
    setBusy(true);
    try {
      const answer = await admin.addKey(key);
      setMade(answer);
      onCreated(answer);
    } catch (e) {
      setProblem(problemOf(e, FIELDS));
    }
    setBusy(false);
  };

  // One dialog throughout: closing it (as replacing it would) ends the creation.
  return (
    <Dialog title={made?.secret ? `Your new key: ${made.name}` : 'Create a key'} onClose={onClose}>
      {made?.secret ? (
        <SecretKey made={made} onClose={onClose} />
      ) : (
        <form
          class="dialog-body settings-form"
          onSubmit={(e) => {
            e.preventDefault();
            void create();
          }}
        >
          <Field label="Name" hint="What uses it, e.g. checkout-service or nightly export." error={at(problem, 'name')}>
            {(a) => (
              <input
                {...a}
                type="text"
                value={name}
                required
                autoFocus
                onInput={(e) => setName(e.currentTarget.value)}
              />
            )}
          </Field>
          <fieldset aria-describedby={at(problem, 'scope') ? `${scopeName}-problem` : undefined}>
            <legend>Scope</legend>
            {SCOPES.map((s) => (
              <label key={s.scope} class="radio">
                <input
                  type="radio"
                  name={scopeName}
                  checked={scope === s.scope}
                  disabled={scopeRefused(s.scope)}
                  onChange={() => setScope(s.scope)}
                />
                <span>
                  {s.label}
                  <span class="radio-hint">
                    {' '}
                    — {s.hint}
                    {scopeRefused(s.scope) ? ' (only owners make account admin keys; tick “acts as you” below)' : ''}
                  </span>
                </span>
              </label>
            ))}
            {at(problem, 'scope') ? (
              <FieldProblem id={`${scopeName}-problem`}>{at(problem, 'scope')}</FieldProblem>
            ) : null}
          </fieldset>
          {owner ? (
            <SuggestField
              label="Acts as (optional)"
              hint="A person's login makes a personal key: it acts as them and never exceeds their role. Leave empty for a key of the account."
              error={at(problem, 'user')}
              value={user}
              onInput={setUser}
              options={peopleOptions(everyone)}
            />
          ) : (
            <label class="check">
              <input type="checkbox" checked={mine} onChange={(e) => setMine(e.currentTarget.checked)} />
              Acts as you ({me.login}): a personal key, held to your role too
            </label>
          )}
          <Field
            label="Allowed from (optional)"
            hint="Address ranges the key may be used from, one per line or separated by commas, e.g. 10.0.0.0/8. Empty: anywhere."
            error={at(problem, 'allowed_ips')}
          >
            {(a) => <textarea {...a} rows={2} value={ips} onInput={(e) => setIps(e.currentTarget.value)} />}
          </Field>
          <Field
            label="Valid through (optional)"
            hint="The key stops working at the end of this day. Empty: until revoked."
            error={at(problem, 'expires_at')}
          >
            {(a) => <input {...a} type="date" value={through} onInput={(e) => setThrough(e.currentTarget.value)} />}
          </Field>
          <FormProblem problem={problem} />
          <DialogActions busy={busy} submit="Create the key" onCancel={onClose} />
        </form>
      )}
    </Dialog>
  );
}

/** The new key's secret, this once, to copy. */
function SecretKey({ made, onClose }: { made: ApiKey; onClose: () => void }) {
  const box = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string>();
  // The key, selected, has the focus: Ctrl+C copies it at once.
  useEffect(() => box.current?.focus(), []);
  const copy = async (): Promise<void> => {
    box.current?.select();
    try {
      await navigator.clipboard.writeText(made.secret ?? '');
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('The key is selected: press Ctrl+C (⌘C on a Mac) to copy it.');
    }
  };
  return (
    <div class="dialog-body">
      <Notice kind="warning" title="Copy the key now: it is shown only this once">
        Trail keeps only a hash of it, so no one can show it to you again. Store it where the service that uses it keeps
        its secrets. If it is lost, revoke it and create another.
      </Notice>
      <label class="secret-label" for="new-key-secret">
        The key
      </label>
      <div class="inline-field">
        <input
          ref={box}
          id="new-key-secret"
          class="secret"
          type="text"
          readOnly
          value={made.secret}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" class="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p class="muted" role="status">
        {copied ?? ''}
      </p>
      <div class="dialog-actions">
        <button type="button" class="button primary" onClick={onClose}>
          I have stored it
        </button>
      </div>
    </div>
  );
}
