// Who is online. A sidebar on wide screens; a drawer behind a toggle on phones.
// While disconnected the list is only the last one known: it is dimmed, says so,
// and shows no count.
import { h, icon, type Keyed, reconcile } from '../dom.js';
import { avatar } from './avatar.js';

export class MembersView {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly count: HTMLElement;
  private readonly staleNote: HTMLElement;
  private cache = new Map<string, Element>();
  private size = 0;

  constructor(
    private readonly me: string,
    readonly id: string,
    onClose: () => void,
  ) {
    this.count = h('span', { class: 'count-badge', 'data-testid': 'member-count' }, '0');
    this.staleNote = h('p', {
      class: 'members-stale-note',
      'data-testid': 'members-stale',
      hidden: true,
    });
    this.list = h('ul', {
      class: 'member-list',
      'data-testid': 'member-list',
      'aria-labelledby': `${id}-title`,
    });
    this.el = h(
      'aside',
      { class: 'members', id, 'aria-labelledby': `${id}-title`, 'data-testid': 'members-panel' },
      h(
        'div',
        { class: 'members-head' },
        h('h2', { id: `${id}-title`, class: 'members-title' }, 'Online ', this.count),
        h(
          'button',
          {
            type: 'button',
            class: 'icon-btn drawer-close',
            'aria-label': 'Close member list',
            on: { click: onClose },
          },
          icon('close'),
        ),
      ),
      this.staleNote,
      this.list,
    );
  }

  /** Marks the list as the last one known (while disconnected); `update` clears it. */
  setStale(stale: boolean): void {
    this.el.classList.toggle('stale', stale);
    this.el.dataset.stale = String(stale);
    this.staleNote.hidden = !stale;
    this.staleNote.textContent =
      this.size > 0
        ? "You're offline: this is who was here when the connection dropped."
        : "You're offline: who is here will show once you're back.";
    this.count.textContent = stale ? '–' : String(this.size);
  }

  /** A fresh list from the server. */
  update(users: readonly string[]): void {
    this.size = users.length;
    this.setStale(false);
    // You first, then everyone else in order.
    const ordered = [...users].sort((a, b) => Number(b === this.me) - Number(a === this.me));
    const items: Keyed[] = ordered.map((u) => ({
      key: u,
      render: () =>
        h(
          'li',
          { class: 'member', 'data-testid': 'member', 'data-username': u },
          h(
            'span',
            { class: 'member-avatar' },
            avatar(u, 'sm'),
            h('span', { class: 'presence-dot', 'aria-hidden': 'true' }),
          ),
          h('span', { class: 'member-name' }, u),
          u === this.me ? h('span', { class: 'badge' }, 'you') : null,
        ),
    }));
    this.cache = reconcile(this.list, items, this.cache);
  }
}
