// An <a> that moves within the app without reloading; modified clicks (new
// tab, new window) and other origins are left to the browser.

import type { ComponentChildren, TargetedMouseEvent } from 'preact';
import { navigate } from '../app/router';

interface Props {
  href: string;
  replace?: boolean;
  class?: string;
  title?: string;
  'aria-label'?: string;
  'aria-current'?: 'page' | undefined;
  children?: ComponentChildren;
}

export function Link({ href, replace = false, children, ...rest }: Props) {
  const follow = (e: TargetedMouseEvent<HTMLAnchorElement>): void => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (!href.startsWith('/') || href.startsWith('/api/')) return;
    e.preventDefault();
    navigate(href, { replace });
  };
  return (
    <a href={href} onClick={follow} {...rest}>
      {children}
    </a>
  );
}
