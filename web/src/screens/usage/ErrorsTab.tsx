import type { TabProps } from './tab';

export function ErrorsTab(_: TabProps) {
  return <p>Errors</p>;
}
