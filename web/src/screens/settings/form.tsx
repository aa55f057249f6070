// Form parts shared by the sections: a labelled field with its hint and its
// problem, and the API's refusals turned into a problem at the field they name.

import type { ComponentChildren } from 'preact';
import { useId, useState } from 'preact/hooks';
import { describe } from '../../api/errors';
import type { Person } from '../../api/types';
import { FieldProblem } from '../../components/FieldProblem';

export interface Problem {
  /** The form's field the API's message names, when it names one. */
  field?: string | undefined;
  message: string;
}

/**
 * The API names the field at fault first (`allowed_ips: "x" is not a CIDR
 * range`, `password must be at least 12 characters`, `user "bob" already
 * exists`): `fields` maps each of the form's fields to the words it starts with.
 */
export function problemOf(e: unknown, fields: Record<string, string[]> = {}): Problem {
  const message = describe(e);
  const lower = message.toLowerCase();
  const field = Object.keys(fields).find((f) =>
    (fields[f] ?? []).some((w) => lower.startsWith(w.toLowerCase()) && /^($|[\s:.,])/.test(lower.slice(w.length))),
  );
  return { field, message };
}

/** The problem of one field, if the API named it. */
export const at = (problem: Problem | undefined, field: string): string | undefined =>
  problem?.field === field ? problem.message : undefined;

export interface FieldAttrs {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

interface FieldProps {
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | undefined;
  class?: string;
  children: (attrs: FieldAttrs) => ComponentChildren;
}

/** A label, the input (`children` gets its id and ARIA attributes), a hint and the problem. */
export function Field({ label, hint, error, class: cls, children }: FieldProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field ${cls ?? ''}`}>
      <label for={id}>{label}</label>
      {children({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': described || undefined })}
      {hint ? (
        <p id={`${id}-hint`} class="field-hint">
          {hint}
        </p>
      ) : null}
      {error ? <FieldProblem id={`${id}-error`}>{error}</FieldProblem> : null}
    </div>
  );
}

/** A problem that names no field of the form, under it. */
export function FormProblem({ problem }: { problem: Problem | undefined }) {
  if (!problem || problem.field) return null;
  return <FieldProblem class="form-problem">{problem.message}</FieldProblem>;
}

/** Buttons at the end of a form in a dialog. */
export function DialogActions({ busy, submit, onCancel }: { busy: boolean; submit: string; onCancel: () => void }) {
  return (
    <div class="dialog-actions">
      <button type="button" class="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" class="button primary" disabled={busy}>
        {submit}
      </button>
    </div>
  );
}

interface AddProps {
  label: string;
  /** The label for screen readers only, where the list above says what it is. */
  labelHidden?: boolean;
  button: string;
  placeholder?: string;
  class?: string;
  onAdd: (value: string) => void;
}

/** A text input and a button (or Enter) that adds what was typed to a list above. */
export function AddInput({ label, labelHidden = false, button, placeholder, class: cls, onAdd }: AddProps) {
  const id = useId();
  const [text, setText] = useState('');
  const add = (): void => {
    const value = text.trim();
    if (!value) return;
    onAdd(value);
    setText('');
  };
  return (
    <div class={`add-input ${cls ?? ''}`}>
      <label class={labelHidden ? 'visually-hidden' : ''} for={id}>
        {label}
      </label>
      <div class="inline-field">
        <input
          id={id}
          type="text"
          value={text}
          placeholder={placeholder}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" class="button" onClick={add}>
          {button}
        </button>
      </div>
    </div>
  );
}

interface SuggestProps {
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | undefined;
  value: string;
  onInput: (value: string) => void;
  /** What to suggest while typing: values, with a word on each. */
  options: { value: string; label?: string | null }[];
  placeholder?: string;
  required?: boolean;
  autoFocus?: boolean;
}

/** A labelled text field that suggests values as one types (logins, group names). */
export function SuggestField({ label, hint, error, value, onInput, options, ...input }: SuggestProps) {
  const list = useId();
  return (
    <Field label={label} hint={hint} error={error}>
      {(a) => (
        <>
          <input
            {...a}
            {...input}
            type="text"
            list={list}
            value={value}
            autoComplete="off"
            onInput={(e) => onInput(e.currentTarget.value)}
          />
          <datalist id={list}>
            {options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label && o.label !== o.value ? o.label : ''}
              </option>
            ))}
          </datalist>
        </>
      )}
    </Field>
  );
}

/** People as suggestions: logins, with names. */
export const peopleOptions = (people: Person[]): { value: string; label: string | null }[] =>
  people.map((p) => ({ value: p.login, label: p.name }));
