import type { TabProps } from './tab';

export function HistoryTab(_: TabProps) {
  return <p>History</p>;
}
