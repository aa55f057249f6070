import type { TabProps } from './tab';

export function EventsTab(_: TabProps) {
  return <p>Events</p>;
}
