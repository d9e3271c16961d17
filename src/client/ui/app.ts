// The app shell: picks the screen from the URL hash (#/ or #/room/<id>) and the
// remembered username, and swaps views.

import { DEFAULT_LIMITS } from '../../protocol/limits.js';
import type { Room } from '../../protocol/rest.js';
import { nameProblem, normalizeName } from '../../protocol/text-rules.js';
import { Api } from '../api.js';
import { type KeyValueStore, readJson, StorageKeys, writeJson } from '../storage.js';
import { Announcer } from './announcer.js';
import { LobbyView } from './views/lobby.js';
import { NamePickerView } from './views/name-picker.js';
import { RoomView } from './views/room.js';
import { SearchDialog } from './views/search.js';

interface View {
  readonly el: HTMLElement;
  start?(): void;
  focus(): void;
  destroy(): void;
}

export type Route = { kind: 'lobby' } | { kind: 'room'; roomId: string; atSeq?: number };

/** The address of a room opened at one message (a search result). */
export const messageHash = (roomId: string, seq: number): string =>
  `#/room/${encodeURIComponent(roomId)}/m/${seq}`;

export function parseRoute(hash: string): Route {
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
  return `${proto}//${location.host}/ws/chat/${encodeURIComponent(roomId)}?${q.toString()}`;
}

export class App {
  private view: View | null = null;
  private username: string | null;
  private rooms: Room[];
  private readonly api = new Api();
  private readonly announcer: Announcer;
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
    const cached = readJson<Room[]>(store, StorageKeys.rooms);
    this.rooms = Array.isArray(cached) ? cached : [];
  }

  start(): void {
    window.addEventListener('hashchange', () => this.route());
    document.addEventListener('keydown', (ev) => this.onKey(ev));
    this.route();
  }

  private route(): void {
    if (!this.username) {
      this.show(new NamePickerView({ current: null, onDone: (name) => this.setUsername(name) }));
      return;
    }
    const route = parseRoute(location.hash);
    if (route.kind === 'room') {
      const roomId = route.roomId;
      const username = this.username;
      this.show(
        new RoomView({
          roomId,
          roomName: this.rooms.find((r) => r.id === roomId)?.name,
          username,
          api: this.api,
          store: this.store,
          announcer: this.announcer,
          wsUrl,
          lookupName: async () => {
            try {
              const rooms = await this.api.listRooms();
              this.setRooms(rooms);
              return rooms.find((r) => r.id === roomId)?.name ?? null;
            } catch {
              return undefined;
            }
          },
          onChangeName: () => this.changeName(),
          atSeq: route.atSeq,
          onSearch: () => this.search.open(),
        }),
      );
    } else {
      this.show(
        new LobbyView({
          username: this.username,
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
            } catch {
              // ignore
            }
          },
          onChangeName: () => this.changeName(),
          onSearch: () => this.search.open(),
        }),
      );
    }
  }

  /** Ctrl/Cmd+K anywhere, or "/" outside text fields, opens search (once a name is chosen). */
  private onKey(ev: KeyboardEvent): void {
    if (!this.username || ev.defaultPrevented || ev.altKey) return;
    const mod = ev.ctrlKey || ev.metaKey;
    const el = ev.target instanceof HTMLElement ? ev.target : null;
    const typing =
      el !== null && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
    if ((mod && ev.key.toLowerCase() === 'k') || (!mod && ev.key === '/' && !typing)) {
      ev.preventDefault();
      this.search.open();
    }
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

  private setRooms(rooms: readonly Room[]): void {
    this.rooms = [...rooms];
    writeJson(this.store, StorageKeys.rooms, this.rooms);
  }

  private show(view: View): void {
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
