// The filter bar: a row of filter buttons, each opening a small panel of
// choices. A filter shows what it is set to on its button, so the bar reads as
// a sentence of the current filters.

import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { useDismiss } from './useDismiss';

export function FilterBar({ children, label }: { children: ComponentChildren; label: string }) {
  return (
    <div class="filterbar" role="group" aria-label={label}>
      {children}
    </div>
  );
}

export interface Option {
  value: string;
  label: string;
}

interface ChoiceProps {
  label: string;
  options: Option[];
  /** Chosen values; empty means "any". */
  value: string[];
  multiple?: boolean;
  onChange: (value: string[]) => void;
  /** Shown on the button instead of the chosen labels (e.g. a custom range). */
  summary?: string;
  /** More controls under the options (a custom date range, a person's login). */
  children?: ComponentChildren;
  /** Offer a box to narrow long lists. */
  searchable?: boolean;
  anyLabel?: string;
}

export function ChoiceFilter(props: ChoiceProps) {
  const { label, options, value, multiple = false, onChange, summary, children, searchable, anyLabel = 'Any' } = props;
  const [open, setOpen] = useState(false);
  const [narrow, setNarrow] = useState('');
  const root = useRef<HTMLDivElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const id = useId();
  useDismiss(root, open, () => setOpen(false));

  useEffect(() => {
    if (!open) return;
    setNarrow('');
    panel.current?.querySelector<HTMLElement>('input')?.focus();
  }, [open]);

  const chosen = options.filter((o) => value.includes(o.value)).map((o) => o.label);
  const shown = summary ?? (chosen.length ? chosen.join(', ') : anyLabel);
  const active = value.length > 0 || summary !== undefined;
  const toggle = (v: string): void => {
    if (!multiple) {
      onChange(value.includes(v) ? [] : [v]);
      setOpen(false);
      return;
    }
    onChange(value.includes(v) ? value.filter((x) => x !== v) : [...value, v]);
  };
  const visible = narrow ? options.filter((o) => o.label.toLowerCase().includes(narrow.toLowerCase())) : options;

  return (
    <div class="choice" ref={root}>
      <button
        ref={trigger}
        type="button"
        class={`choice-button ${active ? 'is-active' : ''}`}
        aria-expanded={open}
        aria-controls={`${id}-panel`}
        onClick={() => setOpen(!open)}
      >
        <span class="choice-label">{label}:</span> <span class="choice-value">{shown}</span>
        <span class="caret" aria-hidden="true" />
      </button>
      {open ? (
        <div
          class="choice-panel"
          id={`${id}-panel`}
          ref={panel}
          role="group"
          aria-label={label}
          onKeyDown={(e) => {
            if (e.key !== 'Escape') return;
            setOpen(false);
            trigger.current?.focus();
          }}
        >
          {searchable ? (
            <input
              type="search"
              class="choice-narrow"
              placeholder={`Find ${label.toLowerCase()}…`}
              aria-label={`Find ${label.toLowerCase()}`}
              value={narrow}
              onInput={(e) => setNarrow(e.currentTarget.value)}
            />
          ) : null}
          <div class="choice-options">
            {visible.map((o) => (
              <label class="choice-option" key={o.value}>
                <input
                  type={multiple ? 'checkbox' : 'radio'}
                  name={multiple ? undefined : id}
                  checked={value.includes(o.value)}
                  onChange={() => toggle(o.value)}
                />
                <span>{o.label}</span>
              </label>
            ))}
            {visible.length === 0 ? <p class="muted">Nothing matches.</p> : null}
          </div>
          {children}
          {active ? (
            <button
              type="button"
              class="link-button"
              onClick={() => {
                onChange([]);
                setOpen(false);
              }}
            >
              Clear {label.toLowerCase()}
            </button>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
