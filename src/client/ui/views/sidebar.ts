// The sidebar: the rooms you are in, each with its unread count and, apart, its
// mention count, the room on screen marked; a menu per room (read, unread, notify
// level, leave); a link to the room browser; the switch for desktop notifications.
// On a phone the shell shows it as a drawer.

import type { NotifyLevel, SidebarRoom } from '../../../protocol/workspace.js';
import type { User } from '../../accounts.js';
import { isPrivate, roomDisplayName } from '../../permissions.js';
import type { Workspace } from '../../workspace.js';
import { h, icon, type Keyed, reconcile, uid } from '../dom.js';
import { brand } from './brand.js';
import { toast } from './toast.js';

export interface SidebarViewOptions {
  workspace: Workspace;
  me: User | null;
  /** A room was picked (the drawer closes). */
  onPicked: () => void;
}

const LEVELS: { level: NotifyLevel; label: string }[] = [
  { level: 'all', label: 'Notify: every message' },
  { level: 'mentions', label: 'Notify: mentions only' },
  { level: 'none', label: 'Notify: never' },
];

export class SidebarView {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly notifyBtn: HTMLButtonElement;
  private cache = new Map<string, Element>();
  private current: string | null = null;
  private menu: { el: HTMLElement; opener: HTMLElement; close: () => void } | null = null;
  private readonly unsub: () => void;

  constructor(private readonly opts: SidebarViewOptions) {
    const titleId = uid('sidebar-title');
    this.list = h('ul', { class: 'side-list', 'aria-labelledby': titleId });
    this.empty = h(
      'p',
      { class: 'side-empty', 'data-testid': 'sidebar-empty' },
      'Rooms you join show up here.',
    );
    this.notifyBtn = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-ghost btn-small side-notify',
        'data-testid': 'enable-notifications',
        on: { click: () => void this.askPermission() },
      },
      'Turn on desktop notifications',
    );
    this.el = h(
      'nav',
      { class: 'sidebar', 'aria-label': 'Rooms', 'data-testid': 'sidebar' },
      h('div', { class: 'side-head' }, h('a', { href: '#/', class: 'brand-link' }, brand())),
      h(
        'div',
        { class: 'side-section' },
        h('h2', { id: titleId, class: 'side-title' }, 'Your rooms'),
        h(
          'a',
          {
            href: '#/',
            class: 'side-browse',
            'data-testid': 'browse-rooms',
            title: 'Browse and create rooms',
          },
          icon('plus'),
          h('span', null, 'Browse rooms'),
        ),
      ),
      this.list,
      this.empty,
      h(
        'div',
        { class: 'side-foot' },
        h(
          'dl',
          { class: 'side-keys' },
          h('dt', null, h('kbd', null, 'Ctrl'), '+', h('kbd', null, 'K')),
          h('dd', null, 'Jump to a room'),
          h('dt', null, h('kbd', null, 'Alt'), '+', h('kbd', null, '↑'), ' ', h('kbd', null, '↓')),
          h('dd', null, 'Previous / next room'),
        ),
        this.notifyBtn,
      ),
    );
    this.unsub = opts.workspace.sidebar.on('change', () => this.render());
    this.render();
  }

  destroy(): void {
    this.unsub();
    this.menu?.close();
  }

  /** Marks the room on screen (null: none). */
  setCurrent(roomId: string | null): void {
    if (roomId === this.current) return;
    this.current = roomId;
    this.render();
  }

  render(): void {
    const rooms = this.opts.workspace.sidebar.list;
    const items: Keyed[] = rooms.map((r) => {
      const name = roomDisplayName(r.room, this.opts.me);
      const cur = r.room.id === this.current;
      return {
        key: [
          r.room.id,
          name,
          r.unread,
          r.mentions,
          r.notify,
          cur,
          r.room.kind,
          r.room.visibility,
        ].join('\u0000'),
        render: () => this.item(r, name, cur),
      };
    });
    this.cache = reconcile(this.list, items, this.cache);
    this.empty.hidden = rooms.length > 0 || !this.opts.workspace.sidebar.loaded;
    const perm = typeof Notification === 'undefined' ? 'denied' : Notification.permission;
    this.notifyBtn.hidden = perm !== 'default';
  }

  private item(r: SidebarRoom, name: string, cur: boolean): Element {
    const id = r.room.id;
    const unread = r.unread > 0 ? (r.unread > 99 ? '99+' : String(r.unread)) : '';
    const said = [
      r.unread > 0 ? `${r.unread} unread` : null,
      r.mentions > 0 ? `${r.mentions} mention${r.mentions === 1 ? '' : 's'}` : null,
    ]
      .filter(Boolean)
      .join(', ');
    const more = h(
      'button',
      {
        type: 'button',
        class: 'side-more',
        'aria-label': `Options for ${name}`,
        'aria-haspopup': 'menu',
        'aria-expanded': 'false',
        'data-testid': 'sidebar-room-menu',
        on: { click: (ev) => this.openMenu(r, name, ev.currentTarget as HTMLElement) },
      },
      h('span', { 'aria-hidden': 'true' }, '⋯'),
    );
    return h(
      'li',
      {
        class: `side-item${r.unread > 0 ? ' side-unread' : ''}${cur ? ' side-current' : ''}`,
        'data-room-id': id,
      },
      h(
        'a',
        {
          href: `#/room/${encodeURIComponent(id)}`,
          class: 'side-link',
          'aria-current': cur ? 'page' : null,
          'data-testid': 'sidebar-room',
          'data-room-id': id,
          on: { click: () => this.opts.onPicked() },
        },
        h(
          'span',
          { class: 'side-icon', 'aria-hidden': 'true' },
          r.room.kind === 'dm' ? '@' : isPrivate(r.room) ? icon('lock') : '#',
        ),
        h('span', { class: 'side-name', 'data-testid': 'sidebar-room-name' }, name),
        said ? h('span', { class: 'visually-hidden' }, `, ${said}`) : null,
        r.mentions > 0
          ? h(
              'span',
              { class: 'side-mentions', 'aria-hidden': 'true', 'data-testid': 'mention-count' },
              `@${r.mentions}`,
            )
          : null,
        unread
          ? h(
              'span',
              { class: 'side-count', 'aria-hidden': 'true', 'data-testid': 'unread-count' },
              unread,
            )
          : null,
        r.notify === 'none'
          ? h(
              'span',
              { class: 'side-muted', title: 'Notifications off' },
              h('span', { class: 'visually-hidden' }, ', muted'),
              icon('bell-off'),
            )
          : null,
      ),
      more,
    );
  }

  private openMenu(r: SidebarRoom, name: string, opener: HTMLElement): void {
    const wasOpen = this.menu?.opener === opener;
    this.menu?.close();
    if (wasOpen) return;
    const ws = this.opts.workspace;
    const id = r.room.id;
    const act = (
      label: string,
      testid: string,
      fn: () => Promise<void> | void,
      checked?: boolean,
    ) =>
      h(
        'button',
        {
          type: 'button',
          role: checked === undefined ? 'menuitem' : 'menuitemradio',
          'aria-checked': checked === undefined ? null : String(checked),
          class: 'menu-item',
          'data-testid': testid,
          tabindex: '-1',
          on: {
            click: () => {
              close();
              void Promise.resolve(fn()).catch((err: unknown) =>
                toast(err instanceof Error ? err.message : 'That did not work.'),
              );
            },
          },
        },
        label,
      );
    const items = [
      r.unread > 0
        ? act('Mark as read', 'mark-read', () => ws.markRead(id, r.latest_seq))
        : act('Mark as unread', 'mark-unread', () =>
            ws.markUnread(id, Math.max(0, r.latest_seq - 1)),
          ),
      ...LEVELS.map((l) =>
        act(
          l.label,
          `notify-${l.level}`,
          () => ws.sidebar.setNotify(id, l.level),
          r.notify === l.level,
        ),
      ),
      act(r.room.kind === 'dm' ? 'Hide conversation' : 'Leave room', 'leave-sidebar', async () => {
        await ws.sidebar.leave(id);
        if (location.hash.startsWith(`#/room/${encodeURIComponent(id)}`)) location.hash = '#/';
      }),
    ];
    const el = h(
      'div',
      {
        class: 'menu side-menu',
        role: 'menu',
        'aria-label': `${name} options`,
        'data-testid': 'sidebar-menu',
      },
      items,
    );
    const onKey = (ev: KeyboardEvent) => {
      const all = [...el.querySelectorAll<HTMLElement>('.menu-item')];
      const at = all.indexOf(document.activeElement as HTMLElement);
      if (ev.key === 'Escape') {
        ev.preventDefault();
        ev.stopPropagation();
        close();
        opener.focus();
      } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        const next = (at + (ev.key === 'ArrowDown' ? 1 : all.length - 1)) % all.length;
        all[next]?.focus();
      } else if (ev.key === 'Tab') close();
    };
    const onDoc = (ev: MouseEvent) => {
      if (!el.contains(ev.target as Node) && ev.target !== opener) close();
    };
    const close = () => {
      if (this.menu?.el !== el) return;
      this.menu = null;
      el.remove();
      opener.setAttribute('aria-expanded', 'false');
      el.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onDoc);
    };
    el.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onDoc);
    opener.setAttribute('aria-expanded', 'true');
    opener.after(el);
    this.menu = { el, opener, close };
    el.querySelector<HTMLElement>('.menu-item')?.focus();
  }

  private async askPermission(): Promise<void> {
    if (typeof Notification === 'undefined') return;
    const result = await Notification.requestPermission();
    if (result === 'denied') toast('Notifications are blocked in this browser’s settings.', 'info');
    this.render();
  }
}
