// Shared by the baseline servers: the room REST call Parley's load generator uses,
// presence bookkeeping, and the message frame shape. No storage, no validation.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface BaselineRoom {
  seq: number;
  /** username -> open connections; insertion order is join order, as in Parley. */
  users: Map<string, number>;
}

export class Rooms {
  private readonly rooms = new Map<string, BaselineRoom>();

  get(id: string): BaselineRoom {
    let room = this.rooms.get(id);
    if (!room) {
      room = { seq: 0, users: new Map() };
      this.rooms.set(id, room);
    }
    return room;
  }

  /** Returns the user list when the set of users changed, else null. */
  join(room: BaselineRoom, username: string): string[] | null {
    const count = room.users.get(username) ?? 0;
    room.users.set(username, count + 1);
    return count === 0 ? [...room.users.keys()] : null;
  }

  leave(room: BaselineRoom, username: string): string[] | null {
    const count = room.users.get(username) ?? 0;
    if (count > 1) {
      room.users.set(username, count - 1);
      return null;
    }
    if (count === 0) return null;
    room.users.delete(username);
    return [...room.users.keys()];
  }
}

export interface InboundMessage {
  type?: unknown;
  content?: unknown;
  client_id?: unknown;
}

/** The `data` of a Parley `message` frame: same fields, same order. */
export function messageData(
  roomId: string,
  room: BaselineRoom,
  username: string,
  m: InboundMessage,
) {
  const data: Record<string, unknown> = {
    id: randomUUID(),
    room_id: roomId,
    username,
    content: m.content,
    timestamp: new Date().toISOString(),
    seq: ++room.seq,
  };
  if (m.client_id !== undefined) data.client_id = m.client_id;
  return data;
}

export const presenceNotice = (change: 'join' | 'leave', username: string) => ({
  username,
  message: `${username} ${change === 'join' ? 'joined' : 'left'} the room`,
});

/** `POST /api/chat/rooms` (a fresh id, nothing stored) and `GET /healthz`; 404 otherwise. */
export function handleHttp(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  if (req.method === 'POST' && req.url === '/api/chat/rooms') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      let name = 'room';
      try {
        name = String((JSON.parse(body) as { name?: unknown }).name ?? 'room');
      } catch {
        // no validation: a baseline accepts anything
      }
      const room = { id: randomUUID(), name, created_at: new Date().toISOString() };
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(room));
    });
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
}

export function listenArgs(): { host: string; port: number } {
  return { host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 8100) };
}
