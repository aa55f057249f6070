// The screens and where they live. A screen is loaded when first visited,
// except Activity Logs, the first screen most people see, which is in the main
// bundle so that it is interactive at once.
//
// Later phases add their screens here: Usage Analysis (`/usage/:tab`, tabs
// overview, packages, functions, events, errors, performance, users, history)
// and Settings (`/settings/:section`), each with a nav entry.

import type { ComponentType } from 'preact';
import type { Abilities } from './permissions';
import type { Place } from './router';
import { ActivityLogs } from '../screens/activity/ActivityLogs';
import { SETTINGS_ROUTES } from '../screens/settings/sections';

export interface ScreenProps {
  /** The named parts of the path, e.g. `kind` and `id` of `/entities/:kind/:id`. */
  params: Record<string, string>;
  place: Place;
}

export type Screen = ComponentType<ScreenProps>;

export interface Route {
  pattern: string;
  /** The page title (and the nav label, when `nav` is set). */
  title: string;
  /** The screen itself, or how to load it (a separate file, fetched on first visit). */
  screen: { now: Screen } | { load: () => Promise<Screen> };
  /** Shown in the header's navigation, in this order. */
  nav?: { order: number; href: string; section: string };
  /** Who may open it; everyone signed in when absent. */
  allowed?: (can: Abilities) => boolean;
}

const loadUsage = (): Promise<Screen> => import('../screens/usage/UsageAnalysis').then((m) => m.UsageAnalysis);

export const ROUTES: Route[] = [
  {
    pattern: '/activity',
    title: 'Activity Logs',
    screen: { now: ActivityLogs },
    nav: { order: 1, href: '/activity', section: '/activity' },
  },
  {
    pattern: '/usage/:tab',
    title: 'Usage Analysis',
    screen: { load: loadUsage },
    nav: { order: 2, href: '/usage/overview', section: '/usage' },
    // Auditors are refused the usage views (they see only the searches granted to them).
    allowed: (can) => !can.seesGrantOnly,
  },
  {
    pattern: '/usage',
    title: 'Usage Analysis',
    screen: { load: loadUsage },
    allowed: (can) => !can.seesGrantOnly,
  },
  {
    pattern: '/entities/:kind/:id',
    title: 'Resource',
    screen: { load: () => import('../screens/entity/EntityPage').then((m) => m.EntityPage) },
  },
  // The Settings sections (screens/settings/sections.ts), for owners and admins.
  ...SETTINGS_ROUTES,
];

export const NAV = ROUTES.filter((r) => r.nav).sort((a, b) => (a.nav?.order ?? 0) - (b.nav?.order ?? 0));
