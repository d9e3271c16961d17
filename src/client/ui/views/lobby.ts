// The room list: create, join and delete rooms. Refreshes itself while visible.
import { DEFAULT_LIMITS } from '../../../protocol/limits.js';
import type { Room } from '../../../protocol/rest.js';
import { nameProblem, normalizeName } from '../../../protocol/text-rules.js';
import { type Api, ApiError } from '../../api.js';
import type { Announcer } from '../announcer.js';
import { h, icon, type Keyed, reconcile, setChildren, uid } from '../dom.js';
import { colorIndex, formatDate, parseTimestamp } from '../format.js';
import { brand } from './brand.js';
import { confirmDialog } from './confirm-dialog.js';
import { nameProblemText } from './name-picker.js';
import { toast } from './toast.js';
import { userChip } from './user-chip.js';

export interface LobbyOptions {
  username: string;
  api: Api;
  announcer: Announcer;
  /** Rooms from the last visit, shown until the first answer arrives. */
  cached: readonly Room[];
  onRooms: (rooms: readonly Room[]) => void;
  onOpen: (room: Room) => void;
  onDeleted: (roomId: string) => void;
  onChangeName: () => void;
  /** Opens the search dialog. */
  onSearch?: () => void;
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
  private rooms: Room[] = [];
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
      { type: 'submit', class: 'btn btn-primary', 'data-testid': 'create-room' },
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
          opts.onSearch
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'icon-btn search-open',
                  'aria-label': 'Search messages (Ctrl+K)',
                  title: 'Search messages (Ctrl+K or /)',
                  'data-testid': 'search-open',
                  on: { click: () => opts.onSearch?.() },
                },
                icon('search'),
              )
            : null,
          this.pill,
          userChip(opts.username, opts.onChangeName),
        ),
      ),
      h(
        'main',
        { class: 'lobby-main' },
        h(
          'section',
          { class: 'lobby-hero' },
          h('h1', { class: 'lobby-title' }, 'Rooms'),
          h('p', { class: 'lobby-lead' }, `Hi ${opts.username}! Join a room, or start a new one.`),
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
    document.title = 'Rooms · Parley';
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
      const room = await this.opts.api.createRoom(name);
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

  private async remove(room: Room): Promise<void> {
    const ok = await confirmDialog({
      title: `Delete “${room.name}”?`,
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
    this.opts.announcer.say(`Room ${room.name} deleted.`);
    toast(`Deleted “${room.name}”.`, 'info');
    this.input.focus();
  }

  private render(rooms: readonly Room[]): void {
    // Newest first: a room you just made is at the top.
    this.rooms = [...rooms].sort((a, b) => b.created_at.localeCompare(a.created_at));
    this.count.textContent = String(this.rooms.length);
    const items: Keyed[] = this.rooms.map((room) => ({
      key: `${room.id}\u0000${room.name}`,
      render: () => this.roomItem(room),
    }));
    this.cache = reconcile(this.list, items, this.cache);
    this.setListState(this.rooms.length === 0 ? 'empty' : 'none');
  }

  private roomItem(room: Room): Element {
    const created = parseTimestamp(room.created_at);
    return h(
      'li',
      { class: 'room-item', 'data-testid': 'room-item', 'data-room-id': room.id },
      h(
        'a',
        {
          href: `#/room/${encodeURIComponent(room.id)}`,
          class: 'room-link',
          'data-testid': 'room-link',
        },
        h(
          'span',
          { class: `room-icon tint-c${colorIndex(room.name)}`, 'aria-hidden': 'true' },
          '#',
        ),
        h(
          'span',
          { class: 'room-text' },
          h('span', { class: 'room-title', 'data-testid': 'room-title' }, room.name),
          h('span', { class: 'room-sub' }, `Created ${formatDate(created)}`),
        ),
        h('span', { class: 'room-join', 'aria-hidden': 'true' }, 'Join'),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'icon-btn icon-btn-danger',
          'aria-label': `Delete room ${room.name}`,
          title: 'Delete room',
          'data-testid': 'delete-room',
          on: { click: () => void this.remove(room) },
        },
        icon('trash'),
      ),
    );
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
