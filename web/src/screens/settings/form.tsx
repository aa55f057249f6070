// Form parts shared by the sections: a labelled field with its hint and its
// problem, and the API's refusals turned into a problem at the field they name.

import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import { describe } from '../../api/errors';
import type { Person } from '../../api/types';

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
      {error ? (
        <p id={`${id}-error`} class="field-problem" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A problem that names no field of the form, under it. */
export function FormProblem({ problem }: { problem: Problem | undefined }) {
  if (!problem || problem.field) return null;
  return (
    <p class="field-problem form-problem" role="alert">
      {problem.message}
    </p>
  );
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

/** Suggestions for a login input (`<input list>`): logins, with names. */
export function PeopleList({ id, people }: { id: string; people: Person[] }) {
  return (
    <datalist id={id}>
      {people.map((p) => (
        <option key={p.id} value={p.login}>
          {p.name && p.name !== p.login ? p.name : ''}
        </option>
      ))}
    </datalist>
  );
}
