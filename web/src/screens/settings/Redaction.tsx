// Redaction rules (seed 004, "Sensitive Data"; issue 7): the names whose
// values are hidden and the kinds of values recognised anywhere, as an
// editable list; beside them a sample event and what Trail would store of it,
// previewed with the rules as they are being edited (POST
// /api/v1/settings/redaction/preview stores nothing) and saved with PUT.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { isAbort } from '../../api/client';
import { describe } from '../../api/errors';
import { admin, type RedactionRules, type ValuePattern } from '../../api/settings';
import type { Json } from '../../api/types';
import type { ScreenProps } from '../../app/routes';
import { JsonSide } from '../../components/events/Changes';
import { Notice } from '../../components/Notice';
import { AddInput, Field } from './form';
import { SettingsPage } from './Frame';
import { SAMPLE, changedPaths, parseSample, places, stored } from './redaction-sample';
import { LoadState } from './ui';
import { useLoad } from './useLoad';
import { FieldProblem } from '../../components/FieldProblem';

const PATTERNS: { pattern: ValuePattern; label: string; hint: string }[] = [
  { pattern: 'credit_card', label: 'Card numbers', hint: '13–19 digits passing the Luhn check' },
  { pattern: 'jwt', label: 'JSON Web Tokens', hint: 'eyJ…, three base64url parts' },
  { pattern: 'aws_access_key', label: 'AWS access keys', hint: 'AKIA… and ASIA…' },
  { pattern: 'bearer_token', label: 'Bearer tokens', hint: 'what follows “Bearer ” (the word is kept)' },
  { pattern: 'private_key', label: 'Private keys', hint: 'PEM blocks' },
  { pattern: 'trail_api_key', label: 'Trail API keys', hint: 'trail_…' },
  { pattern: 'email', label: 'E-mail addresses', hint: 'often wanted in an audit log, so off by default' },
];

/** Wait this long after the last keystroke before asking for a preview. */
const PREVIEW_DELAY_MS = 300;

interface Name {
  key: number;
  value: string;
}

let nextKey = 0;
const named = (values: string[]): Name[] => values.map((value) => ({ key: nextKey++, value }));

/** The rules as the API takes them: blank names left out, patterns in their usual order. */
function rulesOf(names: Name[], patterns: Set<ValuePattern>): RedactionRules {
  return {
    names: names.map((n) => n.value.trim()).filter(Boolean),
    patterns: PATTERNS.map((p) => p.pattern).filter((p) => patterns.has(p)),
  };
}

const same = (a: RedactionRules, b: RedactionRules): boolean =>
  JSON.stringify(a.names) === JSON.stringify(b.names) &&
  JSON.stringify([...a.patterns].sort()) === JSON.stringify([...b.patterns].sort());

export function Redaction(_: ScreenProps) {
  const loaded = useLoad(() => admin.redaction());
  const saved = loaded.data;
  return (
    <SettingsPage
      section="redaction"
      title="Redaction"
      intro="Secrets are replaced with [REDACTED] before an event is hashed, stored or sent on: the original never reaches the database. Try the rules on a sample event as you change them."
    >
      <LoadState loaded={loaded} what="The redaction rules" />
      {saved ? <RulesEditor saved={saved} onSaved={loaded.reload} /> : null}
    </SettingsPage>
  );
}

function RulesEditor({ saved, onSaved }: { saved: RedactionRules; onSaved: () => Promise<void> }) {
  const [names, setNames] = useState<Name[]>(() => named(saved.names));
  const [patterns, setPatterns] = useState<Set<ValuePattern>>(() => new Set(saved.patterns));
  const [problem, setProblem] = useState<{ key?: number; message: string }>();
  const [status, setStatus] = useState<string>();
  const [busy, setBusy] = useState(false);
  const draft = rulesOf(names, patterns);
  const dirty = !same(draft, saved);
  const list = useRef<HTMLUListElement>(null);

  const save = async (): Promise<void> => {
    setBusy(true);
    setProblem(undefined);
    try {
      await admin.saveRedaction(draft);
      await onSaved();
      setStatus('Saved. Events sent from now on are redacted with these rules.');
    } catch (e) {
      const message = describe(e);
      // The API quotes the name it refuses: `redaction name "…" must be 1 to 100 characters`.
      const quoted = /name "((?:[^"\\]|\\.)*)"/.exec(message)?.[1];
      const at = quoted === undefined ? undefined : names.find((n) => JSON.stringify(n.value.trim()) === `"${quoted}"`);
      setProblem({ key: at?.key, message });
      setStatus(undefined);
    }
    setBusy(false);
  };

  const discard = (): void => {
    setNames(named(saved.names));
    setPatterns(new Set(saved.patterns));
    setProblem(undefined);
  };

  return (
    <div class="redaction-grid">
      <form
        class="panel redaction-rules"
        aria-label="Redaction rules"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <h2 id="names-title">Secret names</h2>
        <p class="field-hint">
          A parameter or JSON field with such a name has its whole value hidden, at any depth, and so has{' '}
          <code>name=value</code> in a message or an error. Case does not matter; <code>*</code> matches anything.
        </p>
        <ul class="name-list" ref={list} aria-labelledby="names-title">
          {names.map((n, i) => (
            <li key={n.key}>
              <input
                type="text"
                value={n.value}
                aria-label={`Secret name ${i + 1}`}
                aria-invalid={problem?.key === n.key ? true : undefined}
                onInput={(e) => {
                  const value = e.currentTarget.value;
                  setNames(names.map((x) => (x.key === n.key ? { ...x, value } : x)));
                }}
              />
              <button
                type="button"
                class="icon-button"
                aria-label={`Remove the name ${n.value || i + 1}`}
                onClick={() => {
                  setNames(names.filter((x) => x.key !== n.key));
                  // Keep the focus in the list for keyboard users.
                  requestAnimationFrame(() => list.current?.querySelector<HTMLInputElement>('input')?.focus());
                }}
              >
                <span aria-hidden="true">×</span>
              </button>
            </li>
          ))}
        </ul>
        {!names.length ? <p class="muted">No names: only the kinds of values below are hidden.</p> : null}
        <AddInput
          class="add-name"
          label="A new secret name"
          labelHidden
          placeholder="e.g. *session_id*"
          button="Add the name"
          onAdd={(value) => setNames([...names, { key: nextKey++, value }])}
        />
        <fieldset class="patterns">
          <legend>Values hidden wherever they appear</legend>
          {PATTERNS.map((p) => (
            <label key={p.pattern} class="check">
              <input
                type="checkbox"
                checked={patterns.has(p.pattern)}
                onChange={(e) => {
                  const next = new Set(patterns);
                  if (e.currentTarget.checked) next.add(p.pattern);
                  else next.delete(p.pattern);
                  setPatterns(next);
                }}
              />
              <span>
                {p.label} <span class="muted">— {p.hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {problem ? <FieldProblem>{problem.message}</FieldProblem> : null}
        {status && !dirty ? <Notice>{status}</Notice> : null}
        <div class="editor-actions">
          <button type="submit" class="button primary" disabled={busy || !dirty}>
            Save
          </button>
          <button type="button" class="button" disabled={!dirty} onClick={discard}>
            Discard changes
          </button>
          {dirty ? <span class="unsaved">Unsaved changes</span> : null}
        </div>
      </form>
      <Preview rules={draft} dirty={dirty} />
    </div>
  );
}

/** The sample event and what the rules would make of it, asked for as either changes. */
function Preview({ rules, dirty }: { rules: RedactionRules; dirty: boolean }) {
  const [text, setText] = useState(() => JSON.stringify(SAMPLE, null, 2));
  const parsed = useMemo(() => parseSample(text), [text]);
  const [result, setResult] = useState<{ before: Json; after: Json }>();
  const [problem, setProblem] = useState<string>();
  const [pending, setPending] = useState(false);
  const rulesKey = JSON.stringify(rules);

  useEffect(() => {
    if ('problem' in parsed) return;
    const controller = new AbortController();
    setPending(true);
    const timer = window.setTimeout(() => {
      admin
        .previewRedaction(JSON.parse(rulesKey) as RedactionRules, places(parsed.event), controller.signal)
        .then((answer) => {
          setResult({ before: parsed.event, after: stored(parsed.event, answer.params) });
          setProblem(undefined);
          setPending(false);
        })
        .catch((e: unknown) => {
          if (isAbort(e)) return;
          setProblem(describe(e));
          setPending(false);
        });
    }, PREVIEW_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [parsed, rulesKey]);

  const hidden = result ? changedPaths(result.before, result.after) : [];
  return (
    <section class="panel redaction-preview" aria-labelledby="preview-title">
      <h2 id="preview-title">Try the rules</h2>
      <Field
        label="A sample event (JSON, as a client sends it)"
        hint="Edit it freely: nothing is stored."
        error={'problem' in parsed ? parsed.problem : undefined}
      >
        {(a) => (
          <textarea
            {...a}
            class="sample"
            rows={9}
            spellcheck={false}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
        )}
      </Field>
      <p class="preview-state" role="status">
        {pending ? 'Updating the preview…' : null}
        {!pending && result
          ? `${hidden.length} ${hidden.length === 1 ? 'value' : 'values'} hidden, by ${dirty ? 'your unsaved rules' : 'the saved rules'}.`
          : null}
      </p>
      {problem ? <FieldProblem>{problem}</FieldProblem> : null}
      {result ? (
        <div class="preview-stored" aria-busy={pending}>
          <JsonSide title="What Trail would store" value={result.after} changed={hidden} tone="after" />
        </div>
      ) : null}
    </section>
  );
}
