// What to show when there is nothing: what it means and what to do next.

import type { ComponentChildren } from 'preact';

interface Props {
  title: string;
  children?: ComponentChildren;
  actions?: ComponentChildren;
}

export function EmptyState({ title, children, actions }: Props) {
  return (
    <section class="empty" aria-label={title}>
      <svg class="empty-art" viewBox="0 0 64 64" aria-hidden="true">
        <rect x="10" y="14" width="44" height="36" rx="5" />
        <path d="M18 26h28M18 34h20M18 42h12" />
      </svg>
      <h2>{title}</h2>
      {children ? <div class="empty-body">{children}</div> : null}
      {actions ? <div class="empty-actions">{actions}</div> : null}
    </section>
  );
}
