// The room list: create, join and delete rooms. Refreshes itself while visible.
// Over 300 lines: the lobby view builds its DOM by hand (no framework), so markup,
// events and states (loading, empty, error, accounts-mode actions) sit together.
import { DEFAULT_LIMITS } from '../../../protocol/limits.js';
import { nameProblem, normalizeName } from '../../../protocol/text-rules.js';
import type { RoomInfo, Visibility } from '../../accounts.js';
import { type Api, ApiError } from '../../api.js';
import { canManageMembers, canManageRoom, isPrivate, roomDisplayName } from '../../permissions.js';
import type { AccountContext } from '../account-context.js';
import type { Announcer } from '../announcer.js';
import { h, icon, type Keyed, reconcile, setChildren, uid } from '../dom.js';
import { colorIndex, formatDate, parseTimestamp } from '../format.js';
import { setPageTitle } from '../title.js';
import { brand } from './brand.js';
import { confirmDialog } from './confirm-dialog.js';
import { promptDialog } from './modal.js';
import { nameProblemText } from './name-picker.js';
import { membersDialog, newDmDialog } from './people-dialogs.js';
import { pushToggle } from './push-toggle.js';
import { searchButton } from './search.js';
import { toast } from './toast.js';
import { userChip } from './user-chip.js';

export interface LobbyOptions {
  username: string;
  api: Api;
  announcer: Announcer;
  /** Rooms from the last visit, shown until the first answer arrives. */
  cached: readonly RoomInfo[];
  onRooms: (rooms: readonly RoomInfo[]) => void;
  onOpen: (room: RoomInfo) => void;
  onDeleted: (roomId: string) => void;
  onChangeName: () => void;
  /** Opens the search dialog. */
  onSearch?: () => void;
  /** The signed-in account (accounts mode); undefined in open mode. */
  account?: AccountContext;
}

const REFRESH_MS = 10_000;

export class LobbyView {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly listState: HTMLElement;
  private readonly count: HTMLElement;
  private readonly pill: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly createError: HTMLElement;
  private readonly createBtn: HTMLButtonElement;
  private cache = new Map<string, Element>();
  private rooms: RoomInfo[] = [];
  private visibility: Visibility = 'public';
  private loaded = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly cleanups: (() => void)[] = [];
  private destroyed = false;

  constructor(private readonly opts: LobbyOptions) {
    const inputId = uid('room-name');
    const max = DEFAULT_LIMITS.maxRoomNameLength;
    this.createError = h('p', {
      id: `${inputId}-error`,
      class: 'field-error',
      role: 'alert',
      'data-testid': 'create-room-error',
    });
    this.input = h('input', {
      id: inputId,
      type: 'text',
      class: 'input',
      placeholder: 'e.g. design-review',
      maxlength: String(max),
      autocomplete: 'off',
      'aria-describedby': `${inputId}-error`,
      'data-testid': 'new-room-input',
      on: {
        input: () => this.showCreateError(''),
        keydown: (ev) => {
          if (ev.key === 'Escape' && this.input.value !== '') {
            ev.preventDefault();
            this.input.value = '';
            this.showCreateError('');
          }
        },
      },
    });
    this.createBtn = h(
      'button',
      // Named apart from its text, which a phone hides.
      {
        type: 'submit',
        class: 'btn btn-primary',
        'aria-label': 'Create room',
        'data-testid': 'create-room',
      },
      icon('plus'),
      h('span', null, 'Create room'),
    );
    const form = h(
      'form',
      {
        class: 'create-form',
        novalidate: true,
        'data-testid': 'create-room-form',
        on: {
          submit: (ev) => {
            ev.preventDefault();
            void this.create();
          },
        },
      },
      h('label', { for: inputId, class: 'label' }, 'New room name'),
      h('div', { class: 'create-row' }, this.input, this.createBtn),
      this.createError,
      opts.account ? this.visibilityChoice() : null,
    );

    this.count = h('span', { class: 'count-badge', 'data-testid': 'room-count' }, '0');
    this.list = h('ul', {
      class: 'room-list',
      'data-testid': 'room-list',
      'aria-labelledby': 'rooms-title',
    });
    this.listState = h('div', { class: 'list-state', 'data-testid': 'room-list-state' });
    this.pill = h(
      'div',
      { class: 'status-pill', 'data-testid': 'server-status', 'data-tone': 'busy' },
      h('span', { class: 'status-dot', 'aria-hidden': 'true' }),
      h('span', { class: 'status-text' }, 'Loading…'),
    );

    this.el = h(
      'div',
      { class: 'screen lobby', 'data-testid': 'lobby' },
      h(
        'header',
        { class: 'topbar' },
        h('a', { href: '#/', class: 'brand-link', 'aria-label': 'Parley home' }, brand()),
        h(
          'div',
          { class: 'topbar-actions' },
          opts.onSearch ? searchButton(opts.onSearch) : null,
          this.pill,
          pushToggle(opts.api, opts.username),
          opts.account ? opts.account.menu(false) : userChip(opts.username, opts.onChangeName),
        ),
      ),
      h(
        'main',
        { class: 'lobby-main' },
        h(
          'section',
          { class: 'lobby-hero' },
          h(
            'div',
            { class: 'lobby-hero-text' },
            h('h1', { class: 'lobby-title' }, 'Rooms'),
            h(
              'p',
              { class: 'lobby-lead' },
              `Hi ${opts.username}! Join a room, or start a new one.`,
            ),
          ),
          opts.account
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'btn new-dm-btn',
                  'data-testid': 'new-dm',
                  on: { click: () => this.newDm() },
                },
                icon('at'),
                h('span', null, 'New direct message'),
              )
            : null,
        ),
        h('section', { class: 'card create-card', 'aria-label': 'Create a room' }, form),
        h(
          'section',
          { class: 'card rooms-card' },
          h(
            'div',
            { class: 'card-head' },
            h('h2', { id: 'rooms-title', class: 'card-title' }, 'All rooms ', this.count),
            h(
              'button',
              {
                type: 'button',
                class: 'icon-btn',
                'aria-label': 'Refresh the room list',
                title: 'Refresh',
                'data-testid': 'refresh-rooms',
                on: { click: () => void this.refresh(true) },
              },
              icon('refresh'),
            ),
          ),
          this.list,
          this.listState,
        ),
      ),
    );
    if (opts.cached.length > 0) this.render(opts.cached);
    else this.setListState('loading');
  }

  start(): void {
    setPageTitle('Rooms · Parley');
    void this.refresh(false);
    this.timer = setInterval(() => {
      if (!document.hidden) void this.refresh(false);
    }, REFRESH_MS);
    const onVisible = () => {
      if (!document.hidden) void this.refresh(false);
    };
    document.addEventListener('visibilitychange', onVisible);
    this.cleanups.push(() => document.removeEventListener('visibilitychange', onVisible));
  }

  focus(): void {
    this.input.focus();
  }

  destroy(): void {
    this.destroyed = true;
    clearInterval(this.timer);
    for (const c of this.cleanups) c();
  }

  async refresh(byHand: boolean): Promise<void> {
    try {
      const rooms = await this.opts.api.listRooms();
      if (this.destroyed) return;
      this.loaded = true;
      this.setServer(true);
      this.render(rooms);
      this.opts.onRooms(rooms);
      if (byHand) this.opts.announcer.say(`Room list updated, ${rooms.length} rooms.`);
    } catch (err) {
      if (this.destroyed) return;
      this.setServer(false);
      if (!this.loaded && this.rooms.length === 0) this.setListState('error', errText(err));
      if (byHand) toast(errText(err));
    }
  }

  private async create(): Promise<void> {
    const name = normalizeName(this.input.value);
    const max = DEFAULT_LIMITS.maxRoomNameLength;
    const problem = nameProblem(name, max);
    if (problem) {
      this.showCreateError(nameProblemText(problem, 'room name', max));
      this.input.focus();
      return;
    }
    this.createBtn.disabled = true;
    try {
      const room = await this.opts.api.createRoom(
        name,
        this.opts.account ? this.visibility : undefined,
      );
      if (this.destroyed) return;
      this.input.value = '';
      this.render([...this.rooms.filter((r) => r.id !== room.id), room]);
      this.opts.onRooms(this.rooms);
      this.opts.onOpen(room);
    } catch (err) {
      if (this.destroyed) return;
      this.showCreateError(errText(err));
      this.input.focus();
    } finally {
      this.createBtn.disabled = false;
    }
  }

  private async remove(room: RoomInfo): Promise<void> {
    const shown = this.shownName(room);
    const ok = await confirmDialog({
      title: `Delete “${shown}”?`,
      body: 'The room and all of its messages will be deleted for everyone. This cannot be undone.',
      confirmLabel: 'Delete room',
      danger: true,
    });
    if (!ok || this.destroyed) return;
    try {
      await this.opts.api.deleteRoom(room.id);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) {
        toast(errText(err));
        return;
      }
    }
    if (this.destroyed) return;
    this.render(this.rooms.filter((r) => r.id !== room.id));
    this.opts.onRooms(this.rooms);
    this.opts.onDeleted(room.id);
    this.opts.announcer.say(`Room ${shown} deleted.`);
    toast(`Deleted “${shown}”.`, 'info');
    this.input.focus();
  }

  private render(rooms: readonly RoomInfo[]): void {
    // Newest first: a room you just made is at the top.
    this.rooms = [...rooms].sort((a, b) => b.created_at.localeCompare(a.created_at));
    this.count.textContent = String(this.rooms.length);
    const items: Keyed[] = this.rooms.map((room) => ({
      // Everything the item shows, so a rename or a change of rights redraws it.
      key: [room.id, room.name, room.visibility, room.kind, room.owner_id].join('\u0000'),
      render: () => this.roomItem(room),
    }));
    this.cache = reconcile(this.list, items, this.cache);
    this.setListState(this.rooms.length === 0 ? 'empty' : 'none');
  }

  private roomItem(room: RoomInfo): Element {
    const created = parseTimestamp(room.created_at);
    const me = this.opts.account?.user ?? null;
    const name = this.shownName(room);
    const dm = room.kind === 'dm';
    const locked = isPrivate(room);
    const sub = dm
      ? 'Direct message'
      : locked
        ? `Private · created ${formatDate(created)}`
        : `Created ${formatDate(created)}`;
    return h(
      'li',
      {
        class: 'room-item',
        'data-testid': 'room-item',
        'data-room-id': room.id,
        'data-visibility': locked ? 'private' : 'public',
      },
      h(
        'a',
        {
          href: `#/room/${encodeURIComponent(room.id)}`,
          class: 'room-link',
          'data-testid': 'room-link',
        },
        h(
          'span',
          { class: `room-icon tint-c${colorIndex(name)}`, 'aria-hidden': 'true' },
          dm ? '@' : '#',
        ),
        h(
          'span',
          { class: 'room-text' },
          h(
            'span',
            { class: 'room-title-row' },
            h('span', { class: 'room-title', 'data-testid': 'room-title' }, name),
            locked && !dm
              ? h(
                  'span',
                  { class: 'room-lock', 'data-testid': 'room-lock', title: 'Private room' },
                  icon('lock'),
                  h('span', { class: 'visually-hidden' }, '(private)'),
                )
              : null,
          ),
          h('span', { class: 'room-sub' }, sub),
        ),
        h('span', { class: 'room-join', 'aria-hidden': 'true' }, 'Join'),
      ),
      canManageMembers(me, room)
        ? h(
            'button',
            {
              type: 'button',
              class: 'icon-btn',
              'aria-label': `Members of ${name}`,
              title: 'Members',
              'data-testid': 'room-members-btn',
              on: { click: () => this.members(room) },
            },
            icon('users'),
          )
        : null,
      me && !dm && canManageRoom(me, room)
        ? h(
            'button',
            {
              type: 'button',
              class: 'icon-btn',
              'aria-label': `Rename room ${name}`,
              title: 'Rename room',
              'data-testid': 'rename-room',
              on: { click: () => this.rename(room) },
            },
            icon('edit'),
          )
        : null,
      canManageRoom(me, room)
        ? h(
            'button',
            {
              type: 'button',
              class: 'icon-btn icon-btn-danger',
              'aria-label': `Delete room ${name}`,
              title: 'Delete room',
              'data-testid': 'delete-room',
              on: { click: () => void this.remove(room) },
            },
            icon('trash'),
          )
        : null,
    );
  }

  private shownName(room: RoomInfo): string {
    return roomDisplayName(room, this.opts.account?.user ?? null);
  }

  /** Public or private, for a new room (accounts mode). */
  private visibilityChoice(): HTMLElement {
    const name = uid('visibility');
    const option = (value: Visibility, title: string, text: string) => {
      const input = h('input', {
        type: 'radio',
        name,
        value,
        class: 'choice-input',
        checked: value === this.visibility,
        'data-testid': `visibility-${value}`,
        on: {
          change: () => {
            if (input.checked) this.visibility = value;
          },
        },
      });
      return h(
        'label',
        { class: 'choice' },
        input,
        h(
          'span',
          { class: 'choice-text' },
          h('span', { class: 'choice-title' }, value === 'private' ? icon('lock') : null, title),
          h('span', { class: 'choice-sub' }, text),
        ),
      );
    };
    return h(
      'fieldset',
      { class: 'choice-group' },
      h('legend', { class: 'label' }, 'Who can see it'),
      option('public', 'Public', 'Everyone with an account'),
      option('private', 'Private', 'Only people you add'),
    );
  }

  private rename(room: RoomInfo): void {
    const account = this.opts.account;
    if (!account) return;
    const max = DEFAULT_LIMITS.maxRoomNameLength;
    promptDialog({
      title: `Rename “${room.name}”`,
      label: 'New name',
      value: room.name,
      confirmLabel: 'Rename',
      maxLength: max,
      check: (v) => {
        const p = nameProblem(normalizeName(v), max);
        return p ? nameProblemText(p, 'room name', max) : null;
      },
      submit: async (v) => {
        const updated = await account.accounts.renameRoom(room.id, normalizeName(v));
        if (this.destroyed) return;
        this.render(this.rooms.map((r) => (r.id === room.id ? { ...r, ...updated } : r)));
        this.opts.onRooms(this.rooms);
        this.opts.announcer.say(`Room renamed to ${updated.name}.`);
      },
    });
  }

  private members(room: RoomInfo): void {
    const account = this.opts.account;
    if (!account) return;
    membersDialog({
      room,
      roomName: this.shownName(room),
      me: account.user,
      accounts: account.accounts,
    });
  }

  private newDm(): void {
    const account = this.opts.account;
    if (!account) return;
    newDmDialog({
      me: account.user,
      accounts: account.accounts,
      onOpen: (room) => {
        this.render([...this.rooms.filter((r) => r.id !== room.id), room]);
        this.opts.onRooms(this.rooms);
        this.opts.onOpen(room);
      },
    });
  }

  private setListState(kind: 'loading' | 'empty' | 'error' | 'none', text = ''): void {
    this.listState.dataset.kind = kind;
    switch (kind) {
      case 'loading':
        setChildren(this.listState, h('span', { class: 'spinner' }), 'Loading rooms…');
        break;
      case 'empty':
        setChildren(
          this.listState,
          h('strong', null, 'No rooms yet'),
          h('span', null, 'Create the first one above.'),
        );
        break;
      case 'error':
        setChildren(
          this.listState,
          h('strong', null, "Couldn't load rooms"),
          h('span', null, text),
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-small',
              on: { click: () => void this.refresh(true) },
            },
            'Try again',
          ),
        );
        break;
      case 'none':
        setChildren(this.listState);
    }
  }

  private setServer(ok: boolean): void {
    this.pill.dataset.tone = ok ? 'ok' : 'bad';
    this.pill.dataset.state = ok ? 'open' : 'gave_up';
    const text = this.pill.querySelector('.status-text');
    if (text) text.textContent = ok ? 'Online' : 'Offline';
    this.pill.title = ok ? 'Connected to the server' : "Can't reach the server; retrying";
  }

  private showCreateError(text: string): void {
    this.createError.textContent = text;
    if (text) this.input.setAttribute('aria-invalid', 'true');
    else this.input.removeAttribute('aria-invalid');
  }
}

function errText(err: unknown): string {
  return err instanceof ApiError ? err.message : 'Something went wrong.';
}
