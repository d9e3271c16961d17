// The signed-in account in the top bar (accounts mode): a chip that opens a small
// menu with "Your account", "Administration" (admins) and "Sign out". A menu button
// in the ARIA sense: arrow keys move, Escape closes and returns focus to the chip.
import type { User } from '../../accounts.js';
import { h, uid } from '../dom.js';
import { avatar } from './avatar.js';

export interface UserMenuOptions {
  user: User;
  compact?: boolean;
  onAccount: () => void;
  onAdmin: () => void;
  onSignOut: () => void;
}

export function userMenu(opts: UserMenuOptions): HTMLElement {
  const { user } = opts;
  const menuId = uid('user-menu');
  const isAdmin = user.role === 'admin';
  const item = (label: string, testid: string, run: () => void, danger = false) =>
    h(
      'button',
      {
        type: 'button',
        role: 'menuitem',
        tabindex: '-1',
        class: `menu-item${danger ? ' menu-item-danger' : ''}`,
        'data-testid': testid,
        on: {
          click: () => {
            close(false);
            run();
          },
        },
      },
      label,
    );
  const items = [
    item('Your account', 'menu-account', opts.onAccount),
    isAdmin ? item('Administration', 'menu-admin', opts.onAdmin) : null,
    item('Sign out', 'menu-sign-out', opts.onSignOut, true),
  ].filter((x): x is HTMLButtonElement => x !== null);

  const menu = h(
    'div',
    {
      id: menuId,
      class: 'menu',
      role: 'menu',
      'aria-label': `Account ${user.username}`,
      hidden: true,
      'data-testid': 'user-menu',
      on: {
        keydown: (ev) => {
          const i = items.indexOf(document.activeElement as HTMLButtonElement);
          if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
            ev.preventDefault();
            const step = ev.key === 'ArrowDown' ? 1 : -1;
            items[(i + step + items.length) % items.length]?.focus();
          } else if (ev.key === 'Home' || ev.key === 'End') {
            ev.preventDefault();
            (ev.key === 'Home' ? items[0] : items[items.length - 1])?.focus();
          } else if (ev.key === 'Escape') {
            ev.preventDefault();
            close(true);
          } else if (ev.key === 'Tab') {
            close(false);
          }
        },
      },
    },
    h(
      'div',
      { class: 'menu-head', role: 'presentation' },
      h('span', { class: 'menu-name' }, user.username),
      h('span', { class: 'menu-role' }, isAdmin ? 'Administrator' : 'Member'),
    ),
    items,
  );

  const chip = h(
    'button',
    {
      type: 'button',
      class: `user-chip${opts.compact ? ' user-chip-compact' : ''}`,
      'data-testid': 'user-chip',
      'aria-haspopup': 'menu',
      'aria-expanded': 'false',
      'aria-controls': menuId,
      title: 'Account menu',
      on: {
        click: () => (menu.hidden ? open(false) : close(false)),
        keydown: (ev) => {
          if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
            ev.preventDefault();
            open(ev.key === 'ArrowUp');
          }
        },
      },
    },
    avatar(user.username, 'sm'),
    h('span', { class: 'user-chip-name' }, user.username),
    isAdmin ? h('span', { class: 'badge user-chip-badge' }, 'admin') : null,
    // Named by what it shows, then what it does (voice control users say what they see).
    h('span', { class: 'visually-hidden' }, ': account menu'),
    h('span', { class: 'user-chip-caret', 'aria-hidden': 'true' }),
  );

  const wrap = h('div', { class: 'user-menu' }, chip, menu);

  const onDocClick = (ev: MouseEvent) => {
    if (!wrap.contains(ev.target as Node)) close(false);
  };
  function open(last: boolean): void {
    menu.hidden = false;
    chip.setAttribute('aria-expanded', 'true');
    (last ? items[items.length - 1] : items[0])?.focus();
    document.addEventListener('click', onDocClick, true);
  }
  function close(refocus: boolean): void {
    if (menu.hidden) return;
    menu.hidden = true;
    chip.setAttribute('aria-expanded', 'false');
    document.removeEventListener('click', onDocClick, true);
    if (refocus) chip.focus();
  }
  return wrap;
}
