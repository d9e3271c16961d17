// The app shell: picks the screen from the URL hash (#/, #/room/<id>, #/account,
// #/admin) and, in open mode, the remembered username; in accounts mode, the
// signed-in account (see auth-flow.ts). Swaps views.
// Over 300 lines: it owns the tab's workspace (one socket, the sidebar shell, the
// notifier) as well as routing; each of those has its own module, this wires them.

import { DEFAULT_LIMITS } from '../../protocol/limits.js';
import { nameProblem, normalizeName } from '../../protocol/text-rules.js';
import type { RoomInfo, User } from '../accounts.js';
import { Api } from '../api.js';
import { canManageRoom, isPrivate, roomDisplayName } from '../permissions.js';
import { reconnectSchedule } from '../reconnect-schedule.js';
import { type KeyValueStore, readJson, removeKey, StorageKeys, writeJson } from '../storage.js';
import { Workspace } from '../workspace.js';
import type { AccountContext } from './account-context.js';
import { Announcer } from './announcer.js';
import { AuthFlow } from './auth-flow.js';
import { startNotifier } from './notifier.js';
import { AccountView } from './views/account.js';
import { AdminView } from './views/admin.js';
import { LobbyView } from './views/lobby.js';
import { NamePickerView } from './views/name-picker.js';
import { openQuickSwitcher } from './views/quick-switcher.js';
import { RoomView } from './views/room.js';
import { SearchDialog } from './views/search.js';
import { toast } from './views/toast.js';
import { userMenu } from './views/user-menu.js';
import { WorkspaceShell } from './views/workspace-shell.js';

/** The workspace of whoever is signed in (or named) on this tab, with its screen. */
interface Session {
  key: string;
  workspace: Workspace;
  shell: WorkspaceShell;
  stop: () => void;
}

interface View {
  readonly el: HTMLElement;
  start?(): void;
  focus(): void;
  destroy(): void;
}

export type Route =
  | { kind: 'lobby' }
  | { kind: 'room'; roomId: string; atSeq?: number }
  | { kind: 'account' }
  | { kind: 'admin' };

/** The address of a room opened at one message (a search result). */
export const messageHash = (roomId: string, seq: number): string =>
  `#/room/${encodeURIComponent(roomId)}/m/${seq}`;

export function parseRoute(hash: string): Route {
  if (/^#\/account\/?$/.test(hash)) return { kind: 'account' };
  if (/^#\/admin\/?$/.test(hash)) return { kind: 'admin' };
  const m = /^#\/room\/([^/?#]+)(?:\/m\/([1-9]\d{0,15}))?/.exec(hash);
  if (m?.[1]) {
    try {
      const roomId = decodeURIComponent(m[1]);
      const seq = m[2] === undefined ? undefined : Number(m[2]);
      return seq !== undefined && Number.isSafeInteger(seq)
        ? { kind: 'room', roomId, atSeq: seq }
        : { kind: 'room', roomId };
    } catch {
      return { kind: 'lobby' };
    }
  }
  return { kind: 'lobby' };
}

export function wsUrl(
  roomId: string,
  username: string,
  since: number | undefined,
  epoch?: string,
): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = new URLSearchParams({ username });
  if (since !== undefined) q.set('since', String(since));
  if (since !== undefined && epoch !== undefined) q.set('epoch', epoch);
  // Edits, deletes and reactions arrive as `change` frames (issue 11).
  q.set('features', 'changes');
  return `${proto}//${location.host}/ws/chat/${encodeURIComponent(roomId)}?${q.toString()}`;
}

export class App {
  private view: View | null = null;
  private session: Session | null = null;
  private username: string | null;
  private rooms: RoomInfo[];
  private readonly api = new Api();
  private readonly announcer: Announcer;
  private readonly auth: AuthFlow;
  private readonly search = new SearchDialog({
    api: this.api,
    onChoose: (r) => {
      const hash = messageHash(r.room.id, r.message.seq);
      // The same result chosen twice still opens it again.
      if (location.hash === hash) this.route();
      else location.hash = hash;
    },
  });

  constructor(
    private readonly root: HTMLElement,
    announcerEl: HTMLElement,
    private readonly store: KeyValueStore,
  ) {
    this.announcer = new Announcer(announcerEl);
    // Normalized as the server will: a name saved by an older client may be untrimmed.
    const saved = normalizeName(store.getItem(StorageKeys.username) ?? '');
    this.username = nameProblem(saved, DEFAULT_LIMITS.maxUsernameLength) === null ? saved : null;
    const cached = readJson<RoomInfo[]>(store, StorageKeys.rooms);
    this.rooms = Array.isArray(cached) ? cached : [];
    this.auth = new AuthFlow({
      api: this.api,
      store,
      announcer: this.announcer,
      show: (view) => this.show(view),
      onSignedIn: () => this.route(),
      onSignedOut: () => {
        this.dropSession();
        this.setRooms([]);
      },
    });
  }

  start(): void {
    window.addEventListener('hashchange', () => this.route());
    document.addEventListener('keydown', (ev) => this.onKey(ev));
    document.addEventListener('keydown', (ev) => this.onAltKey(ev));
    void this.auth.start().then(() => this.route());
  }

  private route(): void {
    if (!this.auth.ready) return;
    const account = this.accountContext();
    if (this.auth.accounts && !account) {
      this.auth.showSignIn();
      return;
    }
    if (!account && !this.username) {
      this.show(new NamePickerView({ current: null, onDone: (name) => this.setUsername(name) }));
      return;
    }
    const username = account?.user.username ?? this.username ?? '';
    const me = account?.user ?? null;
    const route = parseRoute(location.hash);
    if (route.kind === 'account' && account) {
      this.show(
        new AccountView({
          account,
          announcer: this.announcer,
          onSignedOut: () => this.auth.signedOut(),
        }),
      );
    } else if (route.kind === 'admin' && account?.user.role === 'admin') {
      this.show(
        new AdminView({
          account,
          announcer: this.announcer,
          onSelfChanged: () => void this.auth.refreshMe().then(() => this.route()),
        }),
      );
    } else if (route.kind === 'room') {
      const session = this.ensureSession(username, me);
      const sidebar = session.workspace.sidebar;
      if (!sidebar.loaded) {
        // Where we left off in this room is in the sidebar: wait for it (briefly).
        void Promise.race([
          session.workspace.ready,
          new Promise((resolve) => setTimeout(resolve, 2_000)),
        ]).then(() => {
          if (this.session === session && sidebar.loaded) this.route();
          else if (this.session === session) this.showRoom(route, username, me, account, session);
        });
        return;
      }
      this.showRoom(route, username, me, account, session);
    } else {
      const session = this.ensureSession(username, me);
      this.show(
        new LobbyView({
          username,
          api: this.api,
          announcer: this.announcer,
          cached: this.rooms,
          onRooms: (rooms) => this.setRooms(rooms),
          onOpen: (room) => {
            location.hash = `#/room/${encodeURIComponent(room.id)}`;
          },
          onDeleted: (roomId) => {
            removeKey(this.store, StorageKeys.outbox(roomId));
            removeKey(this.store, StorageKeys.changes(roomId));
          },
          onChangeName: () => this.changeName(),
          account,
          onSearch: () => this.search.open(),
        }),
        session,
        null,
      );
    }
  }

  private showRoom(
    route: Extract<Route, { kind: 'room' }>,
    username: string,
    me: User | null,
    account: AccountContext | undefined,
    session: Session,
  ): void {
    {
      const roomId = route.roomId;
      const workspace = session.workspace;
      const joined = workspace.sidebar.get(roomId);
      workspace.opened(roomId);
      if (!joined) {
        // Opening a room puts it in your sidebar (a room that does not exist says so itself).
        void workspace.sidebar.join(roomId).catch(() => undefined);
      }
      const known =
        this.rooms.find((r) => r.id === roomId) ?? (joined?.room as RoomInfo | undefined);
      const view: RoomView = new RoomView({
        roomId,
        roomName: known ? roomDisplayName(known, me) : undefined,
        privateRoom: known ? isPrivate(known) : false,
        username,
        api: this.api,
        store: this.store,
        announcer: this.announcer,
        wsUrl,
        lookupName: async () => {
          try {
            const rooms: RoomInfo[] = await this.api.listRooms();
            this.setRooms(rooms);
            const room = rooms.find((r) => r.id === roomId);
            if (room) view.setPrivate(isPrivate(room));
            return room ? roomDisplayName(room, me) : null;
          } catch {
            return undefined;
          }
        },
        onChangeName: () => this.changeName(),
        account,
        onSessionEnded: () => this.auth.sessionEnded(),
        onRemoved: (name) => {
          const text = `You were removed from “${name}”.`;
          toast(text, 'info');
          this.announcer.say(text);
          this.setRooms(this.rooms.filter((r) => r.id !== roomId));
          location.hash = '#/';
        },
        onConnectionLost: account ? () => void this.auth.checkSession() : undefined,
        canModerate: () => {
          const room = this.rooms.find((r) => r.id === roomId);
          return me !== null && room !== undefined && canManageRoom(me, room);
        },
        atSeq: route.atSeq,
        onSearch: () => this.search.open(),
        workspace: {
          channel: workspace.channel(roomId),
          lastRead: joined && joined.unread > 0 ? joined.last_read_seq : undefined,
          autoRead: () => workspace.autoRead(roomId),
          markRead: (seq) => workspace.markRead(roomId, seq),
          markUnread: (seq) => workspace.markUnread(roomId, seq),
        },
      });
      this.show(view, session, roomId);
    }
  }

  /** The workspace of this name or account, made on first use (and dropped when it changes). */
  private ensureSession(username: string, me: User | null): Session {
    const key = `${this.auth.accounts ? 'a' : 'u'}:${me?.id ?? username}`;
    if (this.session?.key === key) return this.session;
    this.dropSession();
    const workspace = new Workspace({
      api: this.api,
      username,
      openMode: !this.auth.accounts,
      // The never-give-up schedule: quick attempts, then slow ones for ever.
      backoff: reconnectSchedule(this.store),
    });
    const shell = new WorkspaceShell(workspace, me);
    const stopNotifier = startNotifier({
      workspace,
      me,
      open: (roomId, seq) => {
        location.hash = messageHash(roomId, seq);
      },
    });
    const offRooms = workspace.on('rooms', (f) => {
      // The room browser shows every room: a room made, renamed or deleted anywhere shows
      // at once (and after a `refresh`, whatever the server could not push).
      if (f.type === 'room_removed') {
        this.setRooms(this.rooms.filter((r) => r.id !== f.data.room_id));
      }
      if (this.view instanceof LobbyView) void this.view.refresh(false);
    });
    workspace.start();
    this.session = {
      key,
      workspace,
      shell,
      stop: () => {
        offRooms();
        stopNotifier();
        shell.destroy();
        workspace.stop();
      },
    };
    return this.session;
  }

  private dropSession(): void {
    const s = this.session;
    if (!s) return;
    this.session = null;
    if (this.view && s.shell.el.contains(this.view.el)) {
      this.view.destroy();
      this.view = null;
    }
    s.stop();
  }

  /**
   * Ctrl/Cmd+K anywhere, or "/" outside text fields, opens search, once someone is
   * signed in (accounts) or has a name (open mode).
   */
  private onKey(ev: KeyboardEvent): void {
    if (ev.defaultPrevented || ev.altKey || !this.auth.ready) return;
    if (this.auth.accounts ? !this.auth.user : !this.username) return;
    const mod = ev.ctrlKey || ev.metaKey;
    const el = ev.target instanceof HTMLElement ? ev.target : null;
    const typing =
      el !== null && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
    const key = ev.key.toLowerCase();
    if ((mod && ev.shiftKey && key === 'f') || (!mod && ev.key === '/' && !typing)) {
      ev.preventDefault();
      this.search.open();
    } else if (mod && !ev.shiftKey && key === 'k' && this.session) {
      ev.preventDefault();
      this.openSwitcher(this.session);
    }
  }

  /** Alt+Up/Down (also while typing): the previous or next room of the sidebar. */
  private onAltKey(ev: KeyboardEvent): void {
    if (!ev.altKey || ev.ctrlKey || ev.metaKey || ev.defaultPrevented || !this.session) return;
    if (ev.key !== 'ArrowUp' && ev.key !== 'ArrowDown') return;
    const list = this.session.workspace.sidebar.list;
    if (list.length === 0) return;
    ev.preventDefault();
    const route = parseRoute(location.hash);
    const at = route.kind === 'room' ? list.findIndex((r) => r.room.id === route.roomId) : -1;
    const step = ev.key === 'ArrowDown' ? 1 : -1;
    const next =
      at < 0 ? (step > 0 ? 0 : list.length - 1) : (at + step + list.length) % list.length;
    const room = list[next];
    if (room) location.hash = `#/room/${encodeURIComponent(room.room.id)}`;
  }

  private openSwitcher(session: Session): void {
    openQuickSwitcher({
      joined: session.workspace.sidebar.list,
      others: this.rooms,
      me: this.auth.user,
      onChoose: (room) => {
        location.hash = `#/room/${encodeURIComponent(room.id)}`;
      },
    });
    // The other rooms as they are now, for the next time.
    void this.api
      .listRooms()
      .then((rooms) => this.setRooms(rooms))
      .catch(() => undefined);
  }

  /** The signed-in account for the views, or undefined in open mode (or signed out). */
  private accountContext(): AccountContext | undefined {
    const user: User | null = this.auth.user;
    if (!this.auth.accounts || !user) return undefined;
    const accounts = this.auth.api;
    return {
      user,
      accounts,
      menu: (compact) =>
        userMenu({
          user,
          compact,
          onAccount: () => {
            location.hash = '#/account';
          },
          onAdmin: () => {
            location.hash = '#/admin';
          },
          onSignOut: () => void this.auth.signOut(),
        }),
    };
  }

  private changeName(): void {
    const back = () => {
      this.route();
    };
    this.show(
      new NamePickerView({
        current: this.username,
        onDone: (name) => {
          this.setUsername(name);
        },
        onCancel: back,
      }),
    );
  }

  private setUsername(name: string): void {
    this.username = name;
    this.dropSession();
    try {
      this.store.setItem(StorageKeys.username, name);
    } catch {
      // keep it for this page only
    }
    this.announcer.say(`You are now ${name}.`);
    this.route();
  }

  private setRooms(rooms: readonly RoomInfo[]): void {
    this.rooms = [...rooms];
    writeJson(this.store, StorageKeys.rooms, this.rooms);
  }

  /** Shows a screen: next to the sidebar when `session` is given, else alone. */
  private show(view: View, session?: Session, roomId?: string | null): void {
    if (view === this.view) return;
    const hadFocusInView =
      this.view?.el.contains(document.activeElement) ??
      this.session?.shell.sidebar.el.contains(document.activeElement) ??
      true;
    this.view?.destroy();
    this.view = view;
    if (session) {
      session.shell.setContent(view.el, roomId ?? null);
      if (session.shell.el.parentElement !== this.root) this.root.replaceChildren(session.shell.el);
    } else {
      this.root.replaceChildren(view.el);
    }
    view.start?.();
    window.scrollTo(0, 0);
    // On touch screens a focused field pops up the keyboard over half the page: don't.
    const touch = window.matchMedia('(pointer: coarse)').matches;
    if (!touch && (hadFocusInView || document.activeElement === document.body)) view.focus();
  }
}
