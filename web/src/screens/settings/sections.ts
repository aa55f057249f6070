// The Settings screens (issue 7), for owners and admins: one route per
// section, each a module of its own loaded on first visit, and one nav entry.
// The server refuses these endpoints to members and auditors anyway
// (docs/security.md, "The permission matrix"); the app does not offer them.

import type { Route, Screen } from '../../app/routes';

export interface Section {
  id: string;
  title: string;
  load: () => Promise<Screen>;
}

export const SECTIONS: Section[] = [
  { id: 'people', title: 'People', load: () => import('./People').then((m) => m.People) },
  { id: 'groups', title: 'Groups', load: () => import('./Groups').then((m) => m.Groups) },
  { id: 'keys', title: 'API keys', load: () => import('./Keys').then((m) => m.Keys) },
  { id: 'logging', title: 'Logging', load: () => import('./Logging').then((m) => m.Logging) },
  { id: 'redaction', title: 'Redaction', load: () => import('./Redaction').then((m) => m.Redaction) },
  { id: 'visibility', title: 'Visibility', load: () => import('./Visibility').then((m) => m.Visibility) },
];

const administer: Route['allowed'] = (can) => can.administer;

export const SETTINGS_ROUTES: Route[] = [
  {
    pattern: '/settings',
    title: 'Settings',
    screen: { load: () => import('./Frame').then((m) => m.SettingsHome) },
    nav: { order: 90, href: `/settings/${SECTIONS[0]?.id ?? ''}`, section: '/settings' },
    allowed: administer,
  },
  ...SECTIONS.map((s): Route => ({
    pattern: `/settings/${s.id}`,
    title: `${s.title} · Settings`,
    screen: { load: s.load },
    allowed: administer,
  })),
];
