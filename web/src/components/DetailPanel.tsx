// A panel on the right with the details of one thing. It takes the focus when
// it opens (so keyboard and screen-reader users land in it) and Escape or the
// close button closes it; whoever opened it gives the focus back.

import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

interface Props {
  title: ComponentChildren;
  subtitle?: ComponentChildren;
  onClose: () => void;
  children: ComponentChildren;
  /** Buttons and links at the top, beside the title. */
  actions?: ComponentChildren;
}

export function DetailPanel({ title, subtitle, onClose, children, actions }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  const id = useId();
  useEffect(() => {
    heading.current?.focus();
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      // A <dialog> open above the panel handles its own Escape.
      if (e.key === 'Escape' && !document.querySelector('dialog[open]')) onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <aside class="detail" aria-labelledby={`${id}-title`}>
      <header class="detail-head">
        <div class="detail-titles">
          <h2 id={`${id}-title`} ref={heading} tabIndex={-1}>
            {title}
          </h2>
          {subtitle ? <p class="detail-subtitle">{subtitle}</p> : null}
        </div>
        {actions}
        <button type="button" class="icon-button" aria-label="Close details" onClick={onClose}>
          <span aria-hidden="true">×</span>
        </button>
      </header>
      <div class="detail-body">{children}</div>
    </aside>
  );
}

/** A titled part of a detail panel. */
export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="detail-section">
      <h3>{title}</h3>
      {children}
    </section>
  );
}

/** Name–value pairs. Empty values are left out. */
export function Facts({ rows }: { rows: [string, ComponentChildren][] }) {
  const shown = rows.filter(([, v]) => v !== null && v !== undefined && v !== '');
  return (
    <dl class="facts">
      {shown.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
