import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoomSession } from '../../../src/client/room-session.js';
import { memoryStorage } from '../../../src/client/storage.js';
import { announceRoom } from '../../../src/client/ui/room-announcements.js';
import { FakeApi } from './fake-api.js';
import { FakeSocket, socketFactory } from './fake-socket.js';

// The exact sentences the screen-reader live region gets for a room (the browser
// tests look for some of them too).
describe('room announcements', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.reset();
  });
  afterEach(() => vi.useRealTimers());

  function setup() {
    const session = new RoomSession({
      roomId: 'r',
      username: 'alice',
      api: new FakeApi().api,
      store: memoryStorage(),
      wsUrl: (_r, u, since) => `ws://x?username=${u}&since=${since}`,
      socketFactory,
      backoff: { jitter: 0, maxAttempts: 2, slowMin: 1_000, slowMax: 1_000 },
    });
    const said: string[] = [];
    const undo = announceRoom(session, { say: (text) => said.push(text) });
    return { session, said, undo };
  }

  async function connected(session: RoomSession): Promise<FakeSocket> {
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.last();
    ws.open();
    return ws;
  }

  it('reads out notices, refused messages and the room being deleted', async () => {
    const { session, said } = setup();
    const ws = await connected(session);
    ws.push({ type: 'join', data: { username: 'Dan', message: 'Dan joined the room' } });
    ws.push({ type: 'leave', data: { username: 'Dan', message: '' } });
    session.send('hello');
    session.send('again');
    const [first, second] = session.outgoing.map((o) => o.client_id);
    ws.push({ type: 'error', data: { code: 'STORE_FAILED', message: 'x', client_id: first! } });
    ws.push({ type: 'error', data: { code: 'INVALID_FRAME', message: 'bad', client_id: second! } });
    // Not about a message of ours: a toast, not an announcement.
    ws.push({ type: 'error', data: { code: 'RATE_LIMITED', message: 'slow down' } });
    ws.push({ type: 'room_deleted', data: { room_id: 'r', message: 'Gone, sorry' } });
    expect(said).toEqual([
      'Dan joined the room',
      'Dan left the room',
      "Message not sent: The server couldn't save it",
      'Message not sent: bad',
      'This room was deleted.',
    ]);
  });

  it('reads out the connection lost, back, and given up once through a long outage', async () => {
    const { session, said } = setup();
    let ws = await connected(session);
    expect(said).toEqual([]);
    ws.drop(1006);
    await vi.advanceTimersByTimeAsync(100);
    FakeSocket.last().open();
    expect(said).toEqual(['Connection lost. Reconnecting…', 'Reconnected.']);
    said.length = 0;
    FakeSocket.last().drop(1006);
    for (let i = 0; i < 2 + 5; i++) {
      await vi.advanceTimersByTimeAsync(1_000);
      FakeSocket.last().drop(1006);
    }
    expect(session.state.kind).toBe('gave_up');
    await vi.advanceTimersByTimeAsync(1_000);
    ws = FakeSocket.last();
    ws.open();
    expect(said).toEqual([
      'Connection lost. Reconnecting…',
      'Disconnected. Still trying; use Retry to reconnect now.',
      'Reconnected.',
    ]);
  });

  it('says nothing more once undone', async () => {
    const { session, said, undo } = setup();
    const ws = await connected(session);
    undo();
    ws.push({ type: 'join', data: { username: 'Dan', message: 'Dan joined the room' } });
    ws.drop(1006);
    expect(said).toEqual([]);
  });
});
