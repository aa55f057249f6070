// The signed-in person: name and role, and signing out.

import { useSession } from './session';
import { ROLE_NAMES } from './permissions';
import { Menu } from '../components/Menu';

export function UserMenu() {
  const { me, signOut } = useSession();
  const name = me.name || me.login || 'Signed in';
  const role = me.role ? ROLE_NAMES[me.role] : 'API key';
  const initials = name
    .split(/[\s@.]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w.charAt(0).toUpperCase())
    .join('');
  return (
    <Menu
      class="usermenu"
      label={`Account: ${name}, ${role}`}
      button={
        <>
          <span class="avatar" aria-hidden="true">
            {initials}
          </span>
          <span class="usermenu-name">{name}</span>
          <span class="role-badge">{role}</span>
        </>
      }
      header={
        <div class="usermenu-head">
          <strong>{name}</strong>
          {me.login && me.login !== name ? <span>{me.login}</span> : null}
          <span>Role: {role}</span>
        </div>
      }
      items={[{ label: 'Sign out', onSelect: () => void signOut() }]}
    />
  );
}
