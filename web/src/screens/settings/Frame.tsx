// The frame of every Settings section: the list of sections on the left (a
// link each, the current one marked), the section's heading, what it is for,
// and its actions.

import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { navigate } from '../../app/router';
import { useSession } from '../../app/session';
import { Link } from '../../components/Link';
import { SECTIONS } from './sections';

interface Props {
  section: string;
  title: string;
  intro: ComponentChildren;
  actions?: ComponentChildren;
  children: ComponentChildren;
}

export function SettingsPage({ section, title, intro, actions, children }: Props) {
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
