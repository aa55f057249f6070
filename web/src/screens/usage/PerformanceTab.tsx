import type { TabProps } from './tab';

export function PerformanceTab(_: TabProps) {
  return <p>Performance</p>;
}
