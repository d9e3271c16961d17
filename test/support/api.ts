import { EPOCH_HEADER } from '../../src/protocol/frames.js';
import type { Message, Room } from '../../src/protocol/rest.js';

/** Thin REST helpers over fetch, for tests and benchmarks. */
export async function createRoom(
  baseUrl: string,
  name = `room-${Math.random().toString(36).slice(2, 8)}`,
): Promise<Room> {
  const res = await fetch(`${baseUrl}/api/chat/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`createRoom: ${res.status} ${await res.text()}`);
  return (await res.json()) as Room;
}

/** Posts a message over REST (open mode); throws unless it is stored (201). */
export async function postMessage(
  baseUrl: string,
  roomId: string,
  username: string,
  content: string,
): Promise<Message> {
  const res = await fetch(`${baseUrl}/api/chat/rooms/${roomId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, content }),
  });
  if (res.status !== 201) throw new Error(`postMessage: ${res.status} ${await res.text()}`);
  return (await res.json()) as Message;
}

export async function history(baseUrl: string, roomId: string, query = ''): Promise<Message[]> {
  const res = await fetch(`${baseUrl}/api/chat/rooms/${roomId}/messages${query}`);
  if (res.status !== 200) throw new Error(`history: ${res.status} ${await res.text()}`);
  return (await res.json()) as Message[];
}

/** The history epoch the server labels a room's history with (`Parley-Epoch`). */
export async function historyEpoch(baseUrl: string, roomId: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/chat/rooms/${roomId}/messages?limit=1`);
  if (res.status !== 200) throw new Error(`history: ${res.status} ${await res.text()}`);
  const epoch = res.headers.get(EPOCH_HEADER);
  if (!epoch) throw new Error('history: no epoch header');
  return epoch;
}

/** The room's whole history, paging back with `before=`. */
export async function allMessages(baseUrl: string, roomId: string): Promise<Message[]> {
  const all: Message[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await history(baseUrl, roomId, `?limit=1000${before ? `&before=${before}` : ''}`);
    all.unshift(...page);
    if (page.length < 1000) return all;
    before = page[0]?.seq;
  }
}
