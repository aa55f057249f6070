// What every tab of Usage Analysis is given, and how each is loaded: a module
// of its own, fetched when the tab is first opened.

import type { ComponentType } from 'preact';
import type { Me } from '../../api/types';
import type { Abilities } from '../../app/permissions';
import type { TabId, UsageState } from './state';

/** What a part of a tab needs: the address's state. */
export interface StateProps {
  state: UsageState;
}

export interface TabProps extends StateProps {
  me: Me;
  can: Abilities;
}

export type TabView = ComponentType<TabProps>;

export const TAB_MODULES: Record<TabId, () => Promise<TabView>> = {
  overview: () => import('./OverviewTab').then((m) => m.OverviewTab),
  packages: () => import('./PackagesTab').then((m) => m.PackagesTab),
  functions: () => import('./FunctionsTab').then((m) => m.FunctionsTab),
  events: () => import('./EventsTab').then((m) => m.EventsTab),
  errors: () => import('./ErrorsTab').then((m) => m.ErrorsTab),
  performance: () => import('./PerformanceTab').then((m) => m.PerformanceTab),
  users: () => import('./UsersTab').then((m) => m.UsersTab),
  history: () => import('./HistoryTab').then((m) => m.HistoryTab),
};
