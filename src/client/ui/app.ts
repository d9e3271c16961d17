// The app shell: picks the screen from the URL hash (#/, #/room/<id>, #/account,
// #/admin) and, in open mode, the remembered username; in accounts mode, the
// signed-in account (see auth-flow.ts). Swaps views.

import { DEFAULT_LIMITS } from '../../protocol/limits.js';
import { nameProblem, normalizeName } from '../../protocol/text-rules.js';
import type { RoomInfo, User } from '../accounts.js';
import { Api } from '../api.js';
import { canManageRoom, isPrivate, roomDisplayName } from '../permissions.js';
import { type KeyValueStore, readJson, StorageKeys, writeJson } from '../storage.js';
import type { AccountContext } from './account-context.js';
import { Announcer } from './announcer.js';
import { AuthFlow } from './auth-flow.js';
import { AccountView } from './views/account.js';
import { AdminView } from './views/admin.js';
import { LobbyView } from './views/lobby.js';
import { NamePickerView } from './views/name-picker.js';
import { RoomView } from './views/room.js';
import { SearchDialog } from './views/search.js';
import { toast } from './views/toast.js';
import { userMenu } from './views/user-menu.js';

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
      onSignedOut: () => this.setRooms([]),
    });
  }

  start(): void {
    window.addEventListener('hashchange', () => this.route());
    document.addEventListener('keydown', (ev) => this.onKey(ev));
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
      const roomId = route.roomId;
      const known = this.rooms.find((r) => r.id === roomId);
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
      });
      this.show(view);
    } else {
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
            try {
              this.store.removeItem(StorageKeys.outbox(roomId));
              this.store.removeItem(StorageKeys.changes(roomId));
            } catch {
              // ignore
            }
          },
          onChangeName: () => this.changeName(),
          account,
          onSearch: () => this.search.open(),
        }),
      );
    }
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
    if ((mod && ev.key.toLowerCase() === 'k') || (!mod && ev.key === '/' && !typing)) {
      ev.preventDefault();
      this.search.open();
    }
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

  private show(view: View): void {
    if (view === this.view) return;
    const hadFocusInView = this.view?.el.contains(document.activeElement) ?? true;
    this.view?.destroy();
    this.view = view;
    this.root.replaceChildren(view.el);
    view.start?.();
    window.scrollTo(0, 0);
    // On touch screens a focused field pops up the keyboard over half the page: don't.
    const touch = window.matchMedia('(pointer: coarse)').matches;
    if (!touch && (hadFocusInView || document.activeElement === document.body)) view.focus();
  }
}
