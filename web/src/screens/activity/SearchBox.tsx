// The search box: the query language of docs/search.md, with suggestions as
// one types (a WAI-ARIA combobox) and the server's error shown at the term it
// names.

import type { JSX, TargetedKeyboardEvent } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { suggest, type Suggestions } from './suggest';
import type { Vocabulary } from './vocabulary';

export interface SearchError {
  message: string;
  /** 1-based column in `query` of the term at fault. */
  column?: number | undefined;
  query: string;
}

interface Props {
  value: string;
  vocabulary: Vocabulary | undefined;
  onSubmit: (text: string) => void;
  error?: SearchError | undefined;
}

export function SearchBox({ value, vocabulary, onSubmit, error }: Props) {
  const [text, setText] = useState(value);
  const [open, setOpen] = useState<Suggestions | null>(null);
  const [active, setActive] = useState(-1);
  const input = useRef<HTMLInputElement>(null);
  const id = useId();

  // Back, Forward and links change the search from outside.
  useEffect(() => setText(value), [value]);

  const refresh = (t: string, caret: number): void => {
    setOpen(vocabulary ? suggest(t, caret, vocabulary) : null);
    setActive(-1);
  };

  const apply = (index: number): void => {
    const item = open?.items[index];
    if (!open || !item) return;
    const next = text.slice(0, open.from) + item.insert + text.slice(open.to);
    const caret = open.from + item.insert.length;
    setText(next);
    // After the render: place the caret after what was inserted and offer what
    // may follow. Typing may have gone on meanwhile, so read the box itself.
    requestAnimationFrame(() => {
      const el = input.current;
      if (!el) return;
      if (el.value === next) el.setSelectionRange(caret, caret);
      refresh(el.value, el.selectionStart ?? el.value.length);
    });
  };

  const submit = (): void => {
    setOpen(null);
    onSubmit(text.trim());
  };

  const onKeyDown = (e: TargetedKeyboardEvent<HTMLInputElement>): void => {
    const count = open?.items.length ?? 0;
    if (e.key === 'ArrowDown' && count) {
      e.preventDefault();
      setActive((active + 1) % count);
    } else if (e.key === 'ArrowUp' && count) {
      e.preventDefault();
      setActive((active - 1 + count) % count);
    } else if ((e.key === 'Enter' || e.key === 'Tab') && active >= 0 && count) {
      e.preventDefault();
      apply(active);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape' && open) {
      e.preventDefault();
      e.stopPropagation();
      setOpen(null);
    }
  };

  const listId = `${id}-suggestions`;
  const errorId = `${id}-error`;
  const expanded = !!open && open.items.length > 0;
  return (
    <div class="search">
      <form
        class="search-form"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label for={`${id}-input`} class="visually-hidden">
          Search the activity log
        </label>
        <div class="search-field">
          <svg class="search-icon" viewBox="0 0 20 20" aria-hidden="true">
            <circle cx="8.5" cy="8.5" r="5.5" />
            <path d="M13 13l4.5 4.5" />
          </svg>
          <input
            ref={input}
            id={`${id}-input`}
            type="text"
            role="combobox"
            autoComplete="off"
            spellcheck={false}
            aria-autocomplete="list"
            aria-expanded={expanded}
            aria-controls={listId}
            aria-activedescendant={active >= 0 ? `${id}-option-${active}` : undefined}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? errorId : undefined}
            placeholder='Search: alice, "sales database", 192.168.1 — or user:alice action:updated date:7d'
            value={text}
            onInput={(e) => {
              setText(e.currentTarget.value);
              refresh(e.currentTarget.value, e.currentTarget.selectionStart ?? e.currentTarget.value.length);
            }}
            onFocus={(e) => refresh(e.currentTarget.value, e.currentTarget.selectionStart ?? 0)}
            onClick={(e) => refresh(e.currentTarget.value, e.currentTarget.selectionStart ?? 0)}
            onBlur={() => setTimeout(() => setOpen(null), 150)}
            onKeyDown={onKeyDown}
          />
          {expanded && open ? (
            <ul class="suggestions" id={listId} role="listbox" aria-label="Suggestions">
              {open.items.map((s, i) => (
                <li
                  key={`${s.label}-${i}`}
                  id={`${id}-option-${i}`}
                  role="option"
                  aria-selected={i === active}
                  class={i === active ? 'is-active' : ''}
                  // Before the input's blur, so the click is not lost.
                  onMouseDown={(e) => {
                    e.preventDefault();
                    apply(i);
                  }}
                >
                  <span class="suggestion-label">{s.label}</span>
                  {s.hint ? <span class="suggestion-hint">{s.hint}</span> : null}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        <button type="submit" class="button primary">
          Search
        </button>
      </form>
      {error ? <SearchProblem id={errorId} error={error} /> : null}
    </div>
  );
}

/** The server's words, and the query with the term it names marked. */
function SearchProblem({ id, error }: { id: string; error: SearchError }) {
  const { query, column } = error;
  let marked: JSX.Element | null = null;
  if (column && column >= 1 && column <= query.length) {
    const at = column - 1;
    const rest = query.slice(at);
    const length = Math.max(1, rest.search(/\s|$/));
    marked = (
      <code class="search-problem-query" aria-hidden="true">
        {query.slice(0, at)}
        <mark>{query.slice(at, at + length)}</mark>
        {query.slice(at + length)}
      </code>
    );
  }
  return (
    <div class="search-problem" id={id} role="alert">
      <strong>This search cannot be understood:</strong> {error.message}
      {column ? ` (column ${column})` : null}
      {marked}
    </div>
  );
}
