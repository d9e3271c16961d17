// Baselines 1 and 2: a bare `ws` broadcast server that speaks Parley's frames
// (join, user_list, leave, message with seq) but stores nothing and validates
// nothing. Each broadcast is serialized once and the same buffer is sent, as a
// text frame, to every socket of the room.
//
// With `coalesce`, it writes the way Parley does (src/server/ws/connection.ts):
// the first frame sent to a socket in a tick corks it, and every corked socket is
// uncorked together on process.nextTick, so a socket gets one writev per tick
// instead of one per frame. That is the honest ceiling: Parley's fan-out with
// nothing stored and nothing checked.
//
// With `store` as well, it is the floor: the ceiling that stores each message in
// SQLite with Parley's schema before sending it (floor-store.ts).
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  handleHttp,
  type InboundMessage,
  listenArgs,
  messageData,
  presenceNotice,
  Rooms,
} from './common.js';
import { FloorStore } from './floor-store.js';

const PATH = /^\/ws\/chat\/([^/?]+)/;
const TEXT = { binary: false } as const;

export interface BareWsOptions {
  /** Cork each socket for the rest of the tick, uncork all on nextTick (as Parley). */
  coalesce?: boolean;
  /** A SQLite file to store every message in before it is sent (the floor). */
  store?: string;
}

export async function startBareWs(host: string, port: number, opts: BareWsOptions = {}) {
  const store = opts.store ? await FloorStore.open(opts.store) : null;
  const rooms = new Rooms();
  const members = new Map<string, Set<WebSocket>>();
  const server = createServer(handleHttp);
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
  });

  const corked: Duplex[] = [];
  const uncorkAll = (): void => {
    for (const raw of corked) raw.uncork();
    corked.length = 0;
  };
  /** One frame to one socket; with `coalesce`, corked until the end of the tick. */
  const write = opts.coalesce
    ? (ws: WebSocket, data: Buffer | string): void => {
        const raw = (ws as unknown as { _socket?: Duplex })._socket;
        // Only this function corks a socket across frames (ws's own cork around a
        // frame's header and payload is undone at once), so 0 means "not yet this tick".
        if (raw && raw.writableCorked === 0) {
          raw.cork();
          if (corked.push(raw) === 1) process.nextTick(uncorkAll);
        }
        ws.send(data, TEXT);
      }
    : (ws: WebSocket, data: Buffer | string): void => ws.send(data, TEXT);

  const broadcast = (roomId: string, frame: unknown): void => {
    const sockets = members.get(roomId);
    if (!sockets) return;
    const buf = Buffer.from(JSON.stringify(frame));
    for (const ws of sockets) write(ws, buf);
  };

  server.on('upgrade', (req, socket, head) => {
    const url = req.url ?? '/';
    const match = PATH.exec(url);
    if (!match) {
      socket.destroy();
      return;
    }
    const roomId = match[1] as string;
    const username = new URL(url, 'http://x').searchParams.get('username') ?? 'anonymous';
    wss.handleUpgrade(req, socket, head, (ws) => {
      const room = rooms.get(roomId);
      store?.createRoom(roomId, roomId);
      let sockets = members.get(roomId);
      if (!sockets) {
        sockets = new Set();
        members.set(roomId, sockets);
      }
      sockets.add(ws);
      const users = rooms.join(room, username);
      if (users) {
        broadcast(roomId, { type: 'join', data: presenceNotice('join', username) });
        broadcast(roomId, { type: 'user_list', data: { users } });
      } else {
        write(ws, JSON.stringify({ type: 'user_list', data: { users: [...room.users.keys()] } }));
      }
      ws.on('message', (raw) => {
        const m = JSON.parse(raw.toString()) as InboundMessage;
        if (m.type === 'message' && store) {
          const clientId = typeof m.client_id === 'string' ? m.client_id : undefined;
          store.append(roomId, room, username, String(m.content), clientId, (data) =>
            broadcast(roomId, { type: 'message', data }),
          );
        } else if (m.type === 'message') {
          broadcast(roomId, { type: 'message', data: messageData(roomId, room, username, m) });
        } else if (m.type === 'get_users') {
          write(ws, JSON.stringify({ type: 'user_list', data: { users: [...room.users.keys()] } }));
        }
      });
      ws.on('error', () => {});
      ws.on('close', () => {
        sockets.delete(ws);
        if (sockets.size === 0) members.delete(roomId);
        const left = rooms.leave(room, username);
        if (left) {
          broadcast(roomId, { type: 'leave', data: presenceNotice('leave', username) });
          broadcast(roomId, { type: 'user_list', data: { users: left } });
        }
      });
    });
  });
  return new Promise<typeof server>((resolve) => server.listen(port, host, () => resolve(server)));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  const { host, port } = listenArgs();
  await startBareWs(host, port, {
    coalesce: process.env.BARE_WS_COALESCE === '1',
    store: process.env.BARE_WS_DB,
  });
}
