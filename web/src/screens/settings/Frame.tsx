// The frame of every Settings section: the list of sections on the left (a
// link each, the current one marked), the section's heading, what it is for,
// and its actions.

import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { navigate } from '../../app/router';
import { useSession } from '../../app/session';
import { Link } from '../../components/Link';
import { Notice } from '../../components/Notice';
import { SECTIONS } from './sections';

interface Props {
  section: string;
  title: string;
  intro: ComponentChildren;
  actions?: ComponentChildren;
  /** What the last change did (or did not quite do), under the heading. */
  status?: { text: string; kind?: 'info' | 'warning' } | string | undefined;
  children: ComponentChildren;
}

export function SettingsPage({ section, title, intro, actions, status, children }: Props) {
  const said = typeof status === 'string' ? { text: status } : status;
  return (
    <div class="settings">
      <nav class="settings-nav" aria-label="Settings">
        <h2 class="settings-nav-title">Settings</h2>
        <ul>
          {SECTIONS.map((s) => (
            <li key={s.id}>
              <Link href={`/settings/${s.id}`} aria-current={s.id === section ? 'page' : undefined}>
                {s.title}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div class="settings-main">
        <div class="screen-head">
          <div>
            <h1>{title}</h1>
            <p class="muted settings-intro">{intro}</p>
          </div>
          {actions ? <div class="head-actions">{actions}</div> : null}
        </div>
        {said ? <Notice kind={said.kind}>{said.text}</Notice> : null}
        {children}
      </div>
    </div>
  );
}

/** `/settings`: the first section. */
export function SettingsHome() {
  useEffect(() => navigate(`/settings/${SECTIONS[0]?.id ?? ''}`, { replace: true }), []);
  return <div class="loading" aria-busy="true" aria-label="Loading" />;
}

/** Owners may do what admins may not (docs/security.md, "Roles"). */
export function useIsOwner(): boolean {
  return useSession().me.role === 'owner';
}
