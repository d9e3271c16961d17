import { describe, expect, it } from 'vitest';
import { RoomNotices } from '../../../src/client/room-notices.js';
import { recordEvents } from './recorded-events.js';

function setup() {
  const { emitted, emit } = recordEvents();
  let lastSeq = 0;
  const notices = new RoomNotices({
    username: 'alice',
    emit,
    lastSeq: () => lastSeq,
  });
  const texts = () => notices.notices.map((n) => n.text);
  return {
    notices,
    emitted,
    texts,
    setLastSeq: (n: number) => {
      lastSeq = n;
    },
  };
}

describe('RoomNotices', () => {
  it('adds a join notice after the newest message and says so', () => {
    const { notices, emitted, setLastSeq } = setup();
    setLastSeq(7);
    notices.join({ username: 'bob', message: 'bob joined the room' });
    const [n] = notices.notices;
    expect(n).toMatchObject({ id: 1, kind: 'join', text: 'bob joined the room', afterSeq: 7 });
    expect(emitted).toEqual([
      ['timeline', { reason: 'notice' }],
      ['notice', n],
    ]);
  });

  it('writes its own text when the server sends none', () => {
    const { notices, texts } = setup();
    notices.join({ username: 'bob', message: '' });
    notices.leave({ username: 'bob', message: '' });
    expect(texts()).toEqual(['bob joined the room', 'bob left the room']);
  });

  it('shows a join only for someone not seen online before (a reconnect replays joins)', () => {
    const { notices, texts } = setup();
    notices.userList({ users: ['bob'] });
    notices.join({ username: 'bob', message: 'bob joined the room' });
    notices.join({ username: 'carol', message: 'carol joined the room' });
    notices.join({ username: 'carol', message: 'carol joined the room' });
    notices.leave({ username: 'carol', message: 'carol left the room' });
    notices.join({ username: 'carol', message: 'carol joined the room' });
    expect(texts()).toEqual([
      'carol joined the room',
      'carol left the room',
      'carol joined the room',
    ]);
  });

  it('does not announce our own leaving', () => {
    const { notices, texts } = setup();
    notices.leave({ username: 'alice', message: 'alice left the room' });
    expect(texts()).toEqual([]);
  });

  it('keeps the online list sorted without case or duplicates mattering', () => {
    const { notices, emitted } = setup();
    notices.userList({ users: ['bob', 'Carol', 'alice', 'bob'] });
    expect(notices.users).toEqual(['alice', 'bob', 'Carol']);
    expect(emitted).toEqual([['users', ['alice', 'bob', 'Carol']]]);
  });

  it('keeps the last 500 notices', () => {
    const { notices } = setup();
    for (let i = 0; i < 502; i++) notices.join({ username: `u${i}`, message: '' });
    expect(notices.notices).toHaveLength(500);
    expect(notices.notices[0]?.text).toBe('u2 joined the room');
  });

  it('moves notices placed past a new end back to it', () => {
    const { notices, setLastSeq } = setup();
    setLastSeq(3);
    notices.join({ username: 'bob', message: '' });
    setLastSeq(9);
    notices.join({ username: 'carol', message: '' });
    notices.clampTo(5);
    expect(notices.notices.map((n) => n.afterSeq)).toEqual([3, 5]);
  });
});
