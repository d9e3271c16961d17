// Online lists and join/leave notices through the RoomHub when they arrive out of
// order, as they do from several processes: a list never goes back to an older
// one, and a member hears of joins and leaves from its own join on.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { BusEvent } from '../../../src/server/bus/bus-events.js';
import { LocalBus } from '../../../src/server/bus/local-bus.js';
import { listIntervalMs, RoomHub } from '../../../src/server/ws/room-hub.js';
import type { RoomMember } from '../../../src/server/ws/room-member.js';
import type { EncodedFrame } from '../../../src/server/ws/server-frames.js';
import { framePayloads } from '../../support/wire-frame.js';

const ROOM = 'room-1';

type Frame = { type: string; data: { users?: string[]; username?: string } };

class Member implements RoomMember {
  readonly roomId = ROOM;
  readonly account = null;
  readonly flavour = 'workspace';
  readonly present = true;
  readonly changes = true;
  presenceFrom = Number.POSITIVE_INFINITY;
  readonly frames: Frame[] = [];

  constructor(readonly username: string) {}

  sendRaw(frame: EncodedFrame): void {
    this.frames.push(...(framePayloads(frame) as Frame[]));
  }
  deliverMessage(): boolean {
    return true;
  }
  roomDeleted(): void {}
  removedFromRoom(): void {}

  lists(): string[][] {
    return this.frames.filter((f) => f.type === 'user_list').map((f) => f.data.users ?? []);
  }
  notices(): string[] {
    return this.frames
      .filter((f) => f.type === 'join' || f.type === 'leave')
      .map((f) => `${f.data.username} ${f.type}`);
  }
}

const joined = (username: string, users: string[], version: number): BusEvent => ({
  type: 'presence',
  roomId: ROOM,
  change: 'join',
  username,
  users,
  version,
});

/** Lets the hub's paced list and notice sends run (a small room's lists are 50 ms apart). */
const settle = () => sleep(listIntervalMs(2) + 10);

describe('RoomHub presence ordering', () => {
  it('gives a joining member nothing from before its join, then its own list', async () => {
    const bus = new LocalBus();
    const hub = new RoomHub(bus);
    const bob = new Member('bob');
    await hub.add(bob);
    bob.presenceFrom = 5;
    const carol = new Member('carol');
    await hub.add(carol);
    // Bob's join (made on another process before carol's) arrives while carol is joining.
    await bus.publish(joined('bob', ['bob'], 5));
    await settle();
    expect(carol.frames).toEqual([]);
    carol.presenceFrom = 7;
    await bus.publish(joined('carol', ['bob', 'carol'], 7));
    await settle();
    expect(carol.lists()).toEqual([['bob', 'carol']]);
    expect(carol.notices()).toEqual(['carol join']);
    expect(bob.notices()).toEqual(['bob join', 'carol join']);
    expect(bob.lists().at(-1)).toEqual(['bob', 'carol']);
  });

  it('never lets an older list replace a newer one', async () => {
    const bus = new LocalBus();
    const hub = new RoomHub(bus);
    const alice = new Member('alice');
    await hub.add(alice);
    alice.presenceFrom = 1;
    await bus.publish(joined('carol', ['alice', 'bob', 'carol'], 9));
    await settle();
    // Published by a slower process: bob's join, before carol's.
    await bus.publish(joined('bob', ['alice', 'bob'], 8));
    await bus.publish({ type: 'user_list', roomId: ROOM, users: ['alice'], version: 3 });
    await settle();
    expect(alice.lists()).toEqual([['alice', 'bob', 'carol']]);
    // The late join is still told: it happened after alice came.
    expect(alice.notices()).toEqual(['carol join', 'bob join']);
    // An equal version is the same list: it may go out again.
    await bus.publish({
      type: 'user_list',
      roomId: ROOM,
      users: ['alice', 'bob', 'carol'],
      version: 9,
    });
    await settle();
    expect(alice.lists().at(-1)).toEqual(['alice', 'bob', 'carol']);
  });

  it('drops a list waiting to go out when a newer one comes first', async () => {
    const bus = new LocalBus();
    const hub = new RoomHub(bus);
    const alice = new Member('alice');
    await hub.add(alice);
    alice.presenceFrom = 1;
    await bus.publish(joined('bob', ['alice', 'bob'], 4));
    await bus.publish({ type: 'user_list', roomId: ROOM, users: ['alice'], version: 2 });
    await settle();
    expect(alice.lists()).toEqual([['alice', 'bob']]);
  });
});
