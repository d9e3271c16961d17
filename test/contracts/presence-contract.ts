// One behaviour for every Presence backend: run on LocalPresence by
// unit/presence.test.ts and on RedisPresence by presence.redis.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import type { Presence } from '../../src/server/presence/presence.js';

/**
 * A "process" of the backend under test: for Redis a new instance on the same
 * Redis; for the in-memory backend, which serves one process, the same one.
 */
export type OpenProcess = () => Promise<Presence>;

let rooms = 0;
const newRoom = () => `contract-room-${process.pid}-${++rooms}-${Date.now()}`;

export function presenceContract(name: string, makeBackend: () => OpenProcess): void {
  describe(`Presence contract: ${name}`, () => {
    const opened = new Set<Presence>();
    let open: OpenProcess | undefined;
    const processes = async (n: number) => {
      open ??= makeBackend();
      const list: Presence[] = [];
      for (let i = 0; i < n; i++) {
        const p = await open();
        if (!opened.has(p)) {
          opened.add(p);
          await p.init();
        }
        list.push(p);
      }
      return list;
    };
    afterEach(async () => {
      await Promise.all([...opened].map((p) => p.close()));
      opened.clear();
      open = undefined;
    });

    it('lists a user once however many tabs, in join order; leaves with the last tab', async () => {
      const [a, b] = (await processes(2)) as [Presence, Presence];
      const room = newRoom();
      expect(await a.join(room, 'alice')).toMatchObject({ changed: true, users: ['alice'] });
      expect(await b.join(room, 'bob')).toMatchObject({ changed: true, users: ['alice', 'bob'] });
      expect(await b.join(room, 'alice')).toMatchObject({
        changed: false,
        users: ['alice', 'bob'],
      });
      expect(await a.leave(room, 'alice')).toMatchObject({
        changed: false,
        users: ['alice', 'bob'],
      });
      expect(await b.leave(room, 'alice')).toMatchObject({ changed: true, users: ['bob'] });
      expect((await a.list(room)).users).toEqual(['bob']);
      expect(await b.leave(room, 'bob')).toMatchObject({ changed: true, users: [] });
      expect(a.roomCount() + b.roomCount()).toBe(0);
    });

    it('ignores a leave without a join', async () => {
      const [a] = (await processes(1)) as [Presence];
      const room = newRoom();
      expect(await a.leave(room, 'ghost')).toMatchObject({ changed: false, users: [] });
      expect((await a.list(room)).users).toEqual([]);
      expect(a.roomCount()).toBe(0);
    });

    it('versions every list: each change newer than the last, in any room and process', async () => {
      const [a, b] = (await processes(2)) as [Presence, Presence];
      const [room, other] = [newRoom(), newRoom()];
      const versions: number[] = [];
      versions.push((await a.join(room, 'alice')).version);
      versions.push((await b.join(other, 'zed')).version);
      versions.push((await b.join(room, 'bob')).version);
      versions.push((await a.leave(room, 'alice')).version);
      versions.push((await b.join(room, 'alice')).version);
      for (let i = 1; i < versions.length; i++) {
        expect(versions[i]).toBeGreaterThan(versions[i - 1] as number);
      }
      // Reads, and joins or leaves that change no list, keep the version they see.
      const newest = versions.at(-1) as number;
      expect(await a.list(room)).toEqual({ users: ['bob', 'alice'], version: newest });
      expect(await a.join(room, 'bob')).toEqual({
        changed: false,
        users: ['bob', 'alice'],
        version: newest,
      });
      expect((await a.leave(room, 'bob')).version).toBe(newest);
    });
  });
}
