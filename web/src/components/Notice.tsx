// A message box: errors from the API in plain words, warnings, hints.

import type { ComponentChildren } from 'preact';

interface Props {
  kind?: 'error' | 'warning' | 'info';
  title?: string;
  children?: ComponentChildren;
  action?: ComponentChildren;
}

export function Notice({ kind = 'info', title, children, action }: Props) {
  // Errors interrupt (role=alert); the rest is announced politely.
  const role = kind === 'error' ? 'alert' : 'status';
  return (
    <div class={`notice notice-${kind}`} role={role}>
      <div class="notice-body">
        {title ? <strong class="notice-title">{title}</strong> : null}
        {children ? <div>{children}</div> : null}
      </div>
      {action ? <div class="notice-action">{action}</div> : null}
    </div>
  );
}
