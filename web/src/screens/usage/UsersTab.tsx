import type { TabProps } from './tab';

export function UsersTab(_: TabProps) {
  return <p>Users</p>;
}
