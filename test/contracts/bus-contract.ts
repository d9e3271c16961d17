// One behaviour for every MessageBus: run by bus.local.test.ts and bus.redis.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../src/server/bus/bus-events.js';
import type { MessageBus } from '../../src/server/bus/message-bus.js';
import { eventually } from '../support/ws-client.js';

/** Cross-process cases mean nothing for an in-process bus: they are not registered at all. */
const NOT_APPLICABLE = (..._args: unknown[]): void => {};

export interface BusUnderTest {
  /** A new, initialized bus. */
  make(): Promise<MessageBus>;
  /** Whether buses from `make` reach each other (separate processes on one transport). */
  shared: boolean;
}

const message = (roomId: string, seq: number): BusEvent => ({
  type: 'message',
  roomId,
  message: {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    room_id: roomId,
    username: 'alice',
    content: `m${seq} <b>&</b> 🎉`,
    timestamp: new Date(0).toISOString(),
    seq,
  },
});

const everyKind = (roomId: string): BusEvent[] => [
  message(roomId, 1),
  {
    type: 'change',
    roomId,
    change: {
      id: '01937b2e-8c4f-7a1b-9c2d-3e4f5a6b7c8d',
      room_id: roomId,
      seq: 2,
      message_id: 'm1',
      kind: 'edit',
      username: 'alice',
      timestamp: '2026-01-01T00:00:00.000Z',
      content: 'edited',
      client_id: 'k',
    },
  },
  {
    type: 'change',
    roomId,
    change: {
      id: '01937b2e-8c4f-7a1b-9c2d-3e4f5a6b7c8e',
      room_id: roomId,
      seq: 3,
      message_id: 'm1',
      kind: 'react',
      username: 'bob',
      timestamp: '2026-01-01T00:00:01.000Z',
      emoji: '👍',
    },
  },
  { type: 'typing', roomId, username: 'bob', isTyping: true },
  {
    type: 'presence',
    roomId,
    change: 'join',
    username: 'carol',
    users: ['alice', 'carol'],
    version: 7,
  },
  { type: 'presence', roomId, change: 'leave', username: 'carol', users: ['alice'], version: 8 },
  { type: 'user_list', roomId, users: ['alice'], version: 1_764_998_400_000_123 },
  { type: 'room_deleted', roomId },
];

let rooms = 0;
const newRoom = () => `room-${process.pid}-${Date.now()}-${rooms++}`;

export function busContract(name: string, subject: BusUnderTest): void {
  describe(`MessageBus contract: ${name}`, () => {
    const open: MessageBus[] = [];
    const make = async () => {
      const bus = await subject.make();
      open.push(bus);
      return bus;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    it('delivers every kind of event to the room, the publisher included, at once and intact', async () => {
      const bus = await make();
      const room = newRoom();
      const got: BusEvent[] = [];
      bus.subscribe(room, (e) => got.push(e));
      await bus.subscribed(room);
      for (const event of everyKind(room)) {
        await bus.publish(event);
      }
      // own events are delivered synchronously, before publish resolves
      expect(got).toEqual(everyKind(room));
    });

    it('keeps rooms apart and stops after unsubscribe; other handlers carry on', async () => {
      const bus = await make();
      const [a, b] = [newRoom(), newRoom()];
      const inA: BusEvent[] = [];
      const inA2: BusEvent[] = [];
      const inB: BusEvent[] = [];
      const offA = bus.subscribe(a, (e) => inA.push(e));
      bus.subscribe(a, (e) => inA2.push(e));
      bus.subscribe(b, (e) => inB.push(e));
      await Promise.all([bus.subscribed(a), bus.subscribed(b)]);
      await bus.publish(message(a, 1));
      await bus.publish(message(b, 1));
      offA();
      offA(); // twice is harmless
      await bus.publish(message(a, 2));
      expect(inA).toEqual([message(a, 1)]);
      expect(inA2).toEqual([message(a, 1), message(a, 2)]);
      expect(inB).toEqual([message(b, 1)]);
    });

    it('survives a throwing handler', async () => {
      const bus = await make();
      const room = newRoom();
      const got: BusEvent[] = [];
      bus.subscribe(room, () => {
        throw new Error('handler bug');
      });
      bus.subscribe(room, (e) => got.push(e));
      await bus.subscribed(room);
      // the publisher may hear about the failure; the other handler still gets the event
      await bus.publish(message(room, 1)).catch(() => {});
      expect(got).toEqual([message(room, 1)]);
    });

    it('answers ping, and has no reconnects to report while healthy', async () => {
      const bus = await make();
      await expect(bus.ping()).resolves.toBeUndefined();
      let reconnects = 0;
      const off = bus.onReconnect(() => reconnects++);
      await bus.publish(message(newRoom(), 1));
      off();
      expect(reconnects).toBe(0);
    });

    (subject.shared ? it : NOT_APPLICABLE)(
      'carries events between processes: each exactly once, in publish order',
      async () => {
        const [a, b, c] = [await make(), await make(), await make()];
        const room = newRoom();
        const seen = new Map<MessageBus, BusEvent[]>([
          [a, []],
          [b, []],
          [c, []],
        ]);
        for (const [bus, list] of seen) bus.subscribe(room, (e) => list.push(e));
        await Promise.all([a.subscribed(room), b.subscribed(room), c.subscribed(room)]);
        const fromA = Array.from({ length: 50 }, (_, i) => message(room, i + 1));
        const fromB = everyKind(room).slice(1);
        await Promise.all([...fromA.map((e) => a.publish(e)), ...fromB.map((e) => b.publish(e))]);
        const total = fromA.length + fromB.length;
        await eventually(
          () => [...seen.values()].every((l) => l.length >= total),
          5_000,
          'every bus to see every event',
        );
        await new Promise((r) => setTimeout(r, 50));
        for (const list of seen.values()) {
          expect(list).toHaveLength(total);
          expect(list.filter((e) => e.type === 'message')).toEqual(fromA);
          expect(list.filter((e) => e.type !== 'message')).toEqual(fromB);
        }
      },
    );

    (subject.shared ? it : NOT_APPLICABLE)(
      'does not deliver to a process that unsubscribed',
      async () => {
        const [a, b] = [await make(), await make()];
        const room = newRoom();
        const inB: BusEvent[] = [];
        const offB = b.subscribe(room, (e) => inB.push(e));
        await b.subscribed(room);
        await a.publish(message(room, 1));
        await eventually(() => inB.length === 1, 5_000, 'first event');
        offB();
        // b listens on another room to prove its connection still works
        const other = newRoom();
        const inOther: BusEvent[] = [];
        b.subscribe(other, (e) => inOther.push(e));
        await b.subscribed(other);
        await a.publish(message(room, 2));
        await a.publish(message(other, 1));
        await eventually(() => inOther.length === 1, 5_000, 'event in the other room');
        expect(inB).toEqual([message(room, 1)]);
      },
    );
  });
}
