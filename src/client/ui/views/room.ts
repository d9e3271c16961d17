// One room on screen: header (back, name, status, members toggle), the status
// banner, the timeline, typing line and composer, and the members sidebar/drawer.
// Over 300 lines: the room screen's hand-built DOM (no framework) and its wiring to
// the session; the rules are in room-session.ts and its parts.
import { CloseCode } from '../../../protocol/error-codes.js';
import { DEFAULT_LIMITS } from '../../../protocol/limits.js';
import { AuthClose } from '../../accounts.js';
import type { Api } from '../../api.js';
import type { ConnectionState } from '../../chat-client.js';
import { ContextWindow } from '../../context-window.js';
import { reconnectSchedule } from '../../reconnect-schedule.js';
import type { RoomChannelFactory } from '../../room-channel.js';
import { RoomSession } from '../../room-session.js';
import type { KeyValueStore } from '../../storage.js';
import type { AccountContext } from '../account-context.js';
import type { Announcer } from '../announcer.js';
import { h, icon, setChildren, uid } from '../dom.js';
import { acceptDroppedFiles } from '../drop-files.js';
import { onlineText } from '../format.js';
import { ReadTracker } from '../read-tracker.js';
import { announceRoom } from '../room-announcements.js';
import { setPageTitle } from '../title.js';
import { ComposerView } from './composer.js';
import { ContextView } from './context.js';
import { MembersView } from './members.js';
import { pushToggle } from './push-toggle.js';
import { searchButton } from './search.js';
import { StatusView } from './status.js';
import { TimelineView } from './timeline.js';
import { toast } from './toast.js';
import { TypingView } from './typing.js';
import { userChip } from './user-chip.js';

export interface RoomViewOptions {
  roomId: string;
  /** Best known name (from the last room list); refreshed in the background. */
  roomName: string | undefined;
  username: string;
  api: Api;
  store: KeyValueStore;
  announcer: Announcer;
  wsUrl: (
    roomId: string,
    username: string,
    since: number | undefined,
    epoch?: string | undefined,
  ) => string;
  /** Resolves the room's current name, or null when it does not exist. */
  lookupName: () => Promise<string | null | undefined>;
  onChangeName: () => void;
  /** Open the room at this message (a search result) instead of at the newest. */
  atSeq?: number;
  /** Opens the search dialog. */
  onSearch?: () => void;
  /** The signed-in account (accounts mode); undefined in open mode. */
  account?: AccountContext;
  /** Shows a lock instead of the # (best known; from the last room list). */
  privateRoom?: boolean;
  /** The server ended our session (close 4003). */
  onSessionEnded?: () => void;
  /** We were removed from this private room (close 4011). */
  onRemoved?: (roomName: string) => void;
  /** The connection dropped: a chance to check the session is still valid. */
  onConnectionLost?: () => void;
  /** Whether the reader may delete others' messages here (room owner or admin; accounts mode). */
  canModerate?: () => boolean;
  /** The tab's workspace: the room's connection and the read position (see RoomWorkspace). */
  workspace?: RoomWorkspace;
}

/** What a room on screen needs from the tab's workspace. */
export interface RoomWorkspace {
  channel: RoomChannelFactory;
  /** Our read position here when the room was opened (undefined: not in the sidebar). */
  lastRead: number | undefined;
  /** Whether messages on screen may mark the room read now (not after "mark unread"). */
  autoRead: () => boolean;
  markRead: (seq: number) => void;
  /** Marks unread from `seq + 1` on (the room stops marking itself read). */
  markUnread: (seq: number) => void;
}

const NARROW = '(max-width: 860px)';

export class RoomView {
  readonly el: HTMLElement;
  private readonly session: RoomSession;
  private readonly timeline: TimelineView;
  private readonly composer: ComposerView;
  private readonly members: MembersView;
  private readonly typing: TypingView;
  private readonly status: StatusView;
  private readonly title: HTMLElement;
  private readonly hash: HTMLElement;
  private readonly onlineCount: HTMLElement;
  private readonly meta: HTMLElement;
  private readonly membersToggle: HTMLButtonElement;
  private readonly backdrop: HTMLElement;
  private readonly footer: HTMLElement;
  private readonly body: HTMLElement;
  private readonly narrow: MediaQueryList;
  private membersOpen: boolean;
  private roomName: string;
  private readTracker: ReadTracker | null = null;
  /** People online, or null while not connected (then nobody knows). */
  private count: number | null = null;
  private everOpen = false;
  private readonly cleanups: (() => void)[] = [];
  /** While the room is open at a search result: its window and view. */
  private context: { win: ContextWindow; view: ContextView } | null = null;

  constructor(private readonly opts: RoomViewOptions) {
    this.roomName = opts.roomName ?? 'Room';
    this.narrow = window.matchMedia(NARROW);
    this.membersOpen = !this.narrow.matches;

    this.session = new RoomSession({
      roomId: opts.roomId,
      username: opts.username,
      api: opts.api,
      store: opts.store,
      wsUrl: opts.wsUrl,
      backoff: reconnectSchedule(opts.store),
      channel: opts.workspace?.channel,
    });
    const s = this.session;

    this.status = new StatusView(() => s.retryConnection());
    this.timeline = new TimelineView(s, this.roomName, {
      canModerate: () => opts.canModerate?.() ?? false,
      onReply: (preview) => {
        this.showPresent();
        this.composer.setReply(preview);
      },
      onDone: () => this.composer.focus(),
      ...(opts.workspace ? { onMarkUnread: (seq: number) => this.markUnreadFrom(seq) } : {}),
    });
    if (opts.workspace?.lastRead !== undefined)
      this.timeline.setUnreadLine(opts.workspace.lastRead);
    this.typing = new TypingView();
    this.composer = new ComposerView({
      roomName: this.roomName,
      roomId: opts.roomId,
      maxLength: DEFAULT_LIMITS.maxContentLength,
      maxAttachments: DEFAULT_LIMITS.maxAttachments,
      onSend: (text, files, replyTo) => {
        // Sending belongs to the present: show where the message goes.
        this.showPresent();
        return s.send(text, files, replyTo);
      },
      onEditLast: () => !this.context && this.timeline.editLastOwn(),
      onTyping: (active) => s.setTyping(active),
      onEscape: () => this.timeline.scrollToBottom(true),
      mentionNames: () => this.mentionNames(),
    });
    const membersId = uid('members');
    this.members = new MembersView(opts.username, membersId, () =>
      this.setMembersOpen(false, true),
    );

    const titleId = uid('room-title');
    this.title = h(
      'h1',
      { id: titleId, class: 'room-name', 'data-testid': 'room-name' },
      this.roomName,
    );
    this.hash = h('span', { class: 'room-hash' });
    this.setPrivate(opts.privateRoom ?? false);
    this.meta = h('p', { class: 'room-meta', 'aria-hidden': 'true' });
    this.onlineCount = h('span', { class: 'online-count', 'data-testid': 'online-count' });
    this.membersToggle = h(
      'button',
      {
        type: 'button',
        class: 'members-toggle',
        'aria-controls': membersId,
        'data-testid': 'members-toggle',
        on: { click: () => this.setMembersOpen(!this.membersOpen, true) },
      },
      icon('users'),
      this.onlineCount,
    );
    this.backdrop = h('div', {
      class: 'drawer-backdrop',
      'aria-hidden': 'true',
      on: { click: () => this.setMembersOpen(false, true) },
    });

    const header = h(
      'header',
      { class: 'topbar room-topbar' },
      h(
        'a',
        {
          href: '#/',
          class: 'back-link',
          'data-testid': 'leave-room',
        },
        icon('back'),
        h('span', { class: 'back-text' }, 'Rooms'),
        h('span', { class: 'visually-hidden' }, ': leave this room'),
      ),
      h(
        'div',
        { class: 'room-heading' },
        this.hash,
        h('div', { class: 'room-heading-text' }, this.title, this.meta),
      ),
      h(
        'div',
        { class: 'topbar-actions' },
        opts.onSearch ? searchButton(opts.onSearch) : null,
        this.status.pill,
        this.membersToggle,
        pushToggle(opts.api, opts.username),
        opts.account ? opts.account.menu(true) : userChip(opts.username, opts.onChangeName, true),
      ),
    );

    this.footer = h('div', { class: 'room-footer' }, this.typing.el, this.composer.el);
    if (opts.atSeq !== undefined) {
      const win = new ContextWindow(opts.api, opts.roomId, opts.atSeq);
      const view = new ContextView(win, opts.username, this.roomName, () => this.showPresent());
      win.on('problem', (text) => toast(text));
      this.context = { win, view };
    }
    const conversation = h(
      'div',
      { class: 'conversation' },
      this.context ? this.context.view.el : this.timeline.el,
      this.footer,
    );
    acceptDroppedFiles(conversation, (files) => this.composer.addFiles(files));
    this.body = h('div', { class: 'room-body' }, conversation, this.members.el, this.backdrop);
    // The room's landmark: skip links and screen-reader landmark lists land here.
    this.el = h(
      'main',
      { class: 'screen room', 'data-testid': 'room-view', 'aria-labelledby': titleId },
      header,
      this.status.banner,
      this.body,
    );

    this.wire();
    this.applyMembersOpen();
    this.status.update(s.state);
    this.members.update([]);
    this.members.setStale(true);
    this.updateCount(null);
    this.setTitle();
  }

  start(): void {
    this.session.start();
    const ws = this.opts.workspace;
    const scroller = this.timeline.el.querySelector<HTMLElement>('.timeline-scroller');
    const log = this.timeline.el.querySelector<HTMLElement>('.timeline');
    if (ws && scroller && log) {
      let sent = ws.lastRead ?? 0;
      this.readTracker = new ReadTracker(scroller, log, (seq) => {
        if (seq <= sent || !ws.autoRead()) return;
        sent = seq;
        ws.markRead(seq);
      });
    }
    void this.context?.win.load();
    void this.opts.lookupName().then((name) => {
      if (name) this.setRoomName(name);
    });
  }

  focus(): void {
    this.composer.focus();
  }

  /** Marks the message at `seq` and what follows unread; the "New messages" line moves there. */
  private markUnreadFrom(seq: number): boolean {
    const ws = this.opts.workspace;
    if (!ws || !Number.isSafeInteger(seq) || seq < 1) return false;
    ws.markUnread(seq - 1);
    this.timeline.setUnreadLine(seq - 1);
    this.opts.announcer.say('Marked unread from this message.');
    return true;
  }

  destroy(): void {
    this.context?.win.stop();
    this.readTracker?.stop();
    for (const c of this.cleanups) c();
    this.session.stop();
    this.status.destroy();
    this.timeline.destroy();
    setPageTitle('Parley');
  }

  /** Leaves the search result for the live conversation (the session ran all along). */
  private showPresent(): void {
    const ctx = this.context;
    if (!ctx) return;
    this.context = null;
    ctx.win.stop();
    ctx.view.el.replaceWith(this.timeline.el);
    this.timeline.scrollToBottom(false);
    // The address names the room again, without routing (which would reconnect).
    history.replaceState(null, '', `#/room/${encodeURIComponent(this.opts.roomId)}`);
  }

  private wire(): void {
    const s = this.session;
    const a = this.opts.announcer;
    this.cleanups.push(
      s.on('timeline', (change) => {
        this.timeline.update(change);
      }),
      // A search result's context shows the room's edits and deletes as they happen.
      s.on('change', (change) => this.context?.win.apply(change)),
      s.on('users', (users) => {
        this.members.update(users);
        this.updateCount(users.length);
      }),
      s.on('typing', (names) => this.typing.update(names)),
      s.on('state', (state) => this.onState(state)),
      s.on('history', (hs) => {
        this.timeline.renderHead();
        if (hs.kind === 'not_found') this.showGone('not_found');
      }),
      s.on('older', () => this.timeline.renderHead()),
      s.on('problem', (text) => toast(text)),
      s.on('deleted', () => this.showGone('deleted')),
      // After the view's own listeners, so the room is shown gone before it is said.
      announceRoom(s, a),
    );

    const onMq = () => {
      this.membersOpen = !this.narrow.matches;
      this.applyMembersOpen();
    };
    this.narrow.addEventListener('change', onMq);
    this.cleanups.push(() => this.narrow.removeEventListener('change', onMq));

    const onKey = (ev: KeyboardEvent) => {
      if (ev.key === 'Escape' && this.narrow.matches && this.membersOpen) {
        ev.preventDefault();
        this.setMembersOpen(false, true);
      }
    };
    document.addEventListener('keydown', onKey);
    this.cleanups.push(() => document.removeEventListener('keydown', onKey));

    const onStorage = (ev: StorageEvent) => {
      if (ev.key === s.outbox.key) s.syncOutbox();
      if (ev.key === s.changeOutbox.key) s.syncChanges();
    };
    window.addEventListener('storage', onStorage);
    this.cleanups.push(() => window.removeEventListener('storage', onStorage));

    // The network coming back, or the person looking at the tab again, is worth an
    // attempt right now rather than at the end of a (slow) wait.
    const wake = () => {
      if (s.state.kind === 'gave_up' || s.state.kind === 'waiting') s.retryConnection();
    };
    const onVisible = () => {
      if (!document.hidden) wake();
    };
    document.addEventListener('visibilitychange', onVisible);
    this.cleanups.push(() => document.removeEventListener('visibilitychange', onVisible));

    // Alt+click on a message, or U on a focused one, marks it and what follows unread
    // (Slack's gesture); the "New messages" line moves there.
    const markUnreadAt = (target: EventTarget | null): boolean => {
      const el = target instanceof Element ? target.closest<HTMLElement>('[data-seq]') : null;
      return this.markUnreadFrom(Number(el?.dataset.seq));
    };
    const onTimelineClick = (ev: MouseEvent) => {
      if (ev.altKey && markUnreadAt(ev.target)) ev.preventDefault();
    };
    const onTimelineKey = (ev: KeyboardEvent) => {
      if (ev.key.toLowerCase() !== 'u' || ev.altKey || ev.ctrlKey || ev.metaKey) return;
      if (ev.target instanceof HTMLElement && ev.target.dataset.seq !== undefined) {
        if (markUnreadAt(ev.target)) ev.preventDefault();
      }
    };
    this.timeline.el.addEventListener('click', onTimelineClick);
    this.timeline.el.addEventListener('keydown', onTimelineKey);

    const onOnline = () => wake();
    window.addEventListener('online', onOnline);
    this.cleanups.push(() => window.removeEventListener('online', onOnline));
  }

  private onState(state: ConnectionState): void {
    this.status.update(state);
    this.el.dataset.connection = state.kind;
    // Presence and typing of others are only known while connected: the count goes
    // (never a stale "2 people online") until the server's next user_list.
    if (state.kind === 'open') this.everOpen = true;
    else {
      this.members.setStale(true);
      this.updateCount(null);
    }
    this.timeline.update({ reason: 'pending', own: false });
    if (state.kind === 'closed' && state.code === CloseCode.ROOM_DELETED) this.showGone('deleted');
    if (state.kind === 'closed' && state.code === CloseCode.ROOM_NOT_FOUND)
      this.showGone('not_found');
    if (state.kind === 'closed' && state.code === AuthClose.SESSION_ENDED)
      this.opts.onSessionEnded?.();
    if (state.kind === 'closed' && state.code === AuthClose.REMOVED_FROM_ROOM)
      this.opts.onRemoved?.(this.roomName);
    // A refused upgrade (HTTP 401) looks like any dropped connection from here.
    if (state.kind === 'waiting') this.opts.onConnectionLost?.();
  }

  private showGone(kind: 'deleted' | 'not_found'): void {
    if (this.footer.dataset.gone === kind) return;
    this.footer.dataset.gone = kind;
    this.composer.setDisabled(true);
    const deleted = kind === 'deleted';
    const back = h(
      'a',
      { href: '#/', class: 'btn btn-primary', 'data-testid': 'back-to-rooms' },
      'Back to rooms',
    );
    setChildren(
      this.footer,
      h(
        'div',
        {
          class: 'room-gone',
          role: 'alert',
          'data-testid': deleted ? 'room-deleted' : 'room-not-found',
        },
        h(
          'div',
          { class: 'room-gone-text' },
          h('strong', null, deleted ? 'This room was deleted.' : 'This room does not exist.'),
          h(
            'span',
            null,
            deleted
              ? 'Its messages are gone. You can pick another room or start a new one.'
              : 'It may have been deleted. Pick another room or start a new one.',
          ),
        ),
        back,
      ),
    );
    this.members.update([]);
    this.updateCount(0);
    back.focus();
  }

  private setMembersOpen(open: boolean, moveFocus: boolean): void {
    this.membersOpen = open;
    this.applyMembersOpen();
    if (!moveFocus || !this.narrow.matches) return;
    if (open) this.members.el.querySelector<HTMLElement>('.drawer-close')?.focus();
    else this.membersToggle.focus();
  }

  private applyMembersOpen(): void {
    const open = this.membersOpen;
    this.updateCount(this.count);
    this.el.classList.toggle('members-open', open);
    this.membersToggle.setAttribute('aria-expanded', String(open));
    // A closed drawer slides off screen; keep its controls out of the tab order.
    this.members.el.inert = !open;
  }

  private updateCount(n: number | null): void {
    this.count = n;
    const text = n === null ? 'unknown while offline' : onlineText(n);
    this.onlineCount.textContent = n === null ? '–' : String(n);
    this.onlineCount.dataset.known = String(n !== null);
    // Before the first connection the status pill says "Connecting…"; that is enough.
    this.meta.textContent = n !== null ? text : this.everOpen ? 'Offline' : '';
    this.membersToggle.setAttribute(
      'aria-label',
      // Starts with the count it shows, as voice control users say what they see.
      `${n === null ? '' : `${n}: `}${this.membersOpen ? 'Hide' : 'Show'} online people (${text})`,
    );
    this.membersToggle.title = n === null ? 'Online people: unknown while offline' : text;
  }

  /** People of the room to complete `@` with: who is online, then who wrote lately (newest first). */
  private mentionNames(): string[] {
    const me = this.opts.username.toLowerCase();
    const names = new Set<string>(this.session.users);
    const msgs = this.session.timeline.messages;
    for (let i = msgs.length - 1; i >= 0 && names.size < 200; i--) {
      const m = msgs[i];
      if (m) names.add(m.username);
    }
    return [...names].filter((n) => n.toLowerCase() !== me);
  }

  /** A lock instead of the # for a private room (accounts mode). */
  setPrivate(locked: boolean): void {
    this.hash.dataset.private = String(locked);
    if (locked) this.hash.dataset.testid = 'room-private';
    else delete this.hash.dataset.testid;
    this.hash.title = locked ? 'Private room' : '';
    if (locked) {
      this.hash.removeAttribute('aria-hidden');
      setChildren(this.hash, icon('lock'), h('span', { class: 'visually-hidden' }, 'Private room'));
    } else {
      this.hash.setAttribute('aria-hidden', 'true');
      setChildren(this.hash, '#');
    }
  }

  private setRoomName(name: string): void {
    if (name === this.roomName) return;
    this.roomName = name;
    this.title.textContent = name;
    this.timeline.setRoomName(name);
    this.composer.setRoomName(name);
    this.setTitle();
  }

  private setTitle(): void {
    setPageTitle(`${this.roomName} · Parley`);
  }
}
