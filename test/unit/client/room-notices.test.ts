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

  it('collapses joins with no message between them into one line, and leaves likewise', () => {
    const { notices, texts, setLastSeq } = setup();
    notices.join({ username: 'bob', message: '' });
    notices.join({ username: 'carol', message: '' });
    expect(texts()).toEqual(['bob and carol joined']);
    notices.join({ username: 'dave', message: '' });
    notices.join({ username: 'erin', message: '' });
    expect(texts()).toEqual(['bob and 3 others joined']);
    expect(notices.notices[0]?.names).toEqual(['bob', 'carol', 'dave', 'erin']);
    notices.leave({ username: 'bob', message: '' });
    setLastSeq(3);
    notices.join({ username: 'fred', message: '' });
    expect(texts()).toEqual([
      'bob and 3 others joined',
      'bob left the room',
      'fred joined the room',
    ]);
  });

  it('gives a collapsed line a new id, so views draw it again', () => {
    const { notices } = setup();
    notices.join({ username: 'bob', message: '' });
    const first = notices.notices[0]?.id;
    notices.join({ username: 'carol', message: '' });
    expect(notices.notices).toHaveLength(1);
    expect(notices.notices[0]?.id).not.toBe(first);
  });

  it('does not show our own join', () => {
    const { notices, texts } = setup();
    notices.join({ username: 'alice', message: 'alice joined the room' });
    expect(texts()).toEqual([]);
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
    const { notices, setLastSeq } = setup();
    for (let i = 0; i < 502; i++) {
      setLastSeq(i);
      notices.join({ username: `u${i}`, message: '' });
    }
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
