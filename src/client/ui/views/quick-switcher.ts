// Ctrl/Cmd+K: jump to a room by typing part of its name. The rooms you are in come
// first (unread ones before the rest), then other rooms you may join. An ARIA
// combobox: the field owns a listbox, arrows move the active option, Enter opens it.

import type { SidebarRoom } from '../../../protocol/workspace.js';
import type { RoomInfo, User } from '../../accounts.js';
import { roomDisplayName } from '../../permissions.js';
import { h, setChildren, uid } from '../dom.js';
import { openModal } from './modal.js';

export interface SwitcherChoice {
  room: RoomInfo;
  name: string;
  /** In the sidebar (with counts), or a room to join. */
  joined: SidebarRoom | null;
}

const MAX_SHOWN = 30;

export function openQuickSwitcher(opts: {
  joined: readonly SidebarRoom[];
  others: readonly RoomInfo[];
  me: User | null;
  onChoose: (room: RoomInfo) => void;
}): void {
  const listId = uid('switcher-list');
  const all: SwitcherChoice[] = [
    ...[...opts.joined]
      .sort((a, b) => Number(b.unread > 0) - Number(a.unread > 0))
      .map((r) => ({
        room: r.room as RoomInfo,
        name: roomDisplayName(r.room, opts.me),
        joined: r,
      })),
    ...opts.others
      .filter((r) => !opts.joined.some((j) => j.room.id === r.id))
      .map((r) => ({ room: r, name: roomDisplayName(r, opts.me), joined: null })),
  ];
  let shown: SwitcherChoice[] = [];
  let active = 0;
  const list = h('ul', {
    id: listId,
    role: 'listbox',
    class: 'switcher-list',
    'aria-label': 'Rooms',
    'data-testid': 'switcher-list',
  });
  const input = h('input', {
    type: 'text',
    class: 'input',
    role: 'combobox',
    'aria-expanded': 'true',
    'aria-controls': listId,
    'aria-autocomplete': 'list',
    'aria-label': 'Room name',
    placeholder: 'Jump to a room…',
    autocomplete: 'off',
    'data-testid': 'switcher-input',
    on: {
      input: () => {
        active = 0;
        render();
      },
      keydown: (ev) => {
        if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
          ev.preventDefault();
          if (shown.length === 0) return;
          active = (active + (ev.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
          render();
        } else if (ev.key === 'Enter') {
          ev.preventDefault();
          const c = shown[active];
          if (c) choose(c);
        }
      },
    },
  });
  const choose = (c: SwitcherChoice) => {
    modal.close();
    opts.onChoose(c.room);
  };
  const render = () => {
    const q = input.value.trim().toLowerCase();
    shown = all.filter((c) => c.name.toLowerCase().includes(q)).slice(0, MAX_SHOWN);
    if (active >= shown.length) active = 0;
    setChildren(
      list,
      shown.map((c, i) =>
        h(
          'li',
          {
            id: `${listId}-${i}`,
            role: 'option',
            class: 'switcher-option',
            'aria-selected': String(i === active),
            'data-testid': 'switcher-option',
            on: {
              mousedown: (ev) => ev.preventDefault(),
              click: () => choose(c),
            },
          },
          h('span', { class: 'switcher-name' }, c.name),
          c.joined
            ? c.joined.unread > 0
              ? h(
                  'span',
                  { class: 'side-count' },
                  String(c.joined.unread),
                  h('span', { class: 'visually-hidden' }, ' unread'),
                )
              : null
            : h('span', { class: 'switcher-hint' }, 'Join'),
        ),
      ),
    );
    if (shown.length === 0)
      list.append(
        h('li', { class: 'switcher-empty', role: 'presentation' }, 'No room by that name.'),
      );
    if (shown[active]) input.setAttribute('aria-activedescendant', `${listId}-${active}`);
    else input.removeAttribute('aria-activedescendant');
    list.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  };
  const modal = openModal({
    title: 'Switch room',
    testid: 'quick-switcher',
    content: [input, list],
  });
  render();
  input.focus();
}
