// One behaviour for full-text search on every ChatStore: run by store.sqlite.test.ts
// and store.postgres.test.ts with the same corpus and the same expectations, so
// both backends answer every query here the same way.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPEN_ACTOR } from '../../src/server/domain/actor.js';
import { type ReadableRooms, SearchService } from '../../src/server/domain/search-service.js';
import { ChatError } from '../../src/server/errors.js';
import type { ChatStore } from '../../src/server/storage/chat-store.js';
import type { MakeStore } from './store-contract.js';

/** The corpus, oldest first: room, sender, content. */
export const CORPUS: readonly [room: string, username: string, content: string][] = [
  ['General', 'alice', 'The quick brown fox jumps over the lazy dog'],
  ['General', 'bob', 'Quick thinking saved the day'],
  ['Équipe', 'carol', 'Der Bär läuft über die Straße'],
  ['Équipe', 'dave', "Crème brûlée à la française, s'il vous plaît"],
  ['Команда', 'иван', 'Привет, мир! Ёжик в тумане'],
  ['日本', 'yuki', '東京タワーに行きました'],
  ['日本', 'yuki', '京都は美しい'],
  ['General', 'alice', 'mail alice@example.com or see https://example.com/docs'],
  ['General', 'bob', "party time 🎉🎉 let's go"],
  ['General', 'alice', 'the fox-trot is a dance'],
];

/** Query → the corpus entries (by index) it finds, newest first. */
export const EXPECTED: readonly [query: string, hits: number[]][] = [
  ['fox', [9, 0]],
  ['FOX', [9, 0]],
  ['quick', [1, 0]],
  ['"brown fox"', [0]],
  ['"fox brown"', []],
  ['brown fox', [0]],
  ['fox -dance', [0]],
  ['fox -"a dance"', [0]],
  ['fox from:bob', []],
  ['from:bob', [8, 1]],
  ['from:иван', [4]],
  ['from:Bob', []],
  ['in:Équipe', [3, 2]],
  ['in:"Команда" мир', [4]],
  ['in:General in:日本 the', [9, 1, 0]],
  ['bar', [2]],
  ['BÄR', [2]],
  ['uber strasse', []],
  ['uber straße', [2]],
  ['creme brulee', [3]],
  ['Française', [3]],
  ['привет', [4]],
  ['ежик', [4]],
  ['ЁЖИК', [4]],
  ['東京', [5]],
  ['京', [6, 5]],
  ['タワー', [5]],
  ['京都', [6]],
  ['"都 京"', []],
  ['example', [7]],
  ['alice@example.com', [7]],
  ['https://example.com/docs', [7]],
  ['party 🎉', [8]],
  ["let's", [8]],
  ['fox after:2000-01-01', [9, 0]],
  ['fox before:2000-01-01', []],
  ['fox after:2999-01-01', []],
  ['nothing-like-this', []],
  ['-fox from:alice', [7]],
];

/** Queries every backend refuses with a 422. */
export const REFUSED = ['', '🎉', '-fox', 'from:', 'x before:2023-02-30', 'x after:tomorrow'];

export async function seedCorpus(store: ChatStore): Promise<{ rooms: Map<string, string> }> {
  const rooms = new Map<string, string>();
  for (const [name, username, content] of CORPUS) {
    if (!rooms.has(name)) rooms.set(name, (await store.createRoom(name)).id);
    const [r] = await store.appendMessages([
      { roomId: rooms.get(name) as string, username, content },
    ]);
    if (!r?.ok) throw new Error('append failed');
  }
  return { rooms };
}

export function searchContract(name: string, makeStore: MakeStore): void {
  describe(`search contract: ${name}`, () => {
    let store: ChatStore;
    let rooms: Map<string, string>;
    let readable: readonly string[] | 'all';
    let service: SearchService;
    beforeEach(async () => {
      store = await makeStore();
      ({ rooms } = await seedCorpus(store));
      readable = 'all';
      const readableRooms: ReadableRooms = async () => readable;
      service = new SearchService(store, readableRooms);
    });
    afterEach(() => store.close());

    const contents = async (q: string, limit = 50) =>
      (await service.search(OPEN_ACTOR, q, limit)).results.map((r) => r.message.content);

    it.each(EXPECTED)('%s', async (q, hits) => {
      expect(await contents(q)).toEqual(hits.map((i) => CORPUS[i]?.[2]));
    });

    it.each(REFUSED)('refuses %j with a 422 field error', async (q) => {
      const error = await service.search(OPEN_ACTOR, q).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ChatError);
      expect(error).toMatchObject({ status: 422, fields: [{ loc: ['query', 'q'] }] });
    });

    it('returns each hit with its room and highlights, and pages newest first', async () => {
      const page = await service.search(OPEN_ACTOR, 'the', 1);
      expect(page.results[0]).toMatchObject({
        message: { content: CORPUS[9]?.[2], username: 'alice' },
        room: { id: rooms.get('General'), name: 'General' },
        highlights: [[0, 3]],
      });
      const walked: string[] = [];
      let next: string | null = null;
      do {
        const p = await service.search(OPEN_ACTOR, 'the', 1, next ?? undefined);
        walked.push(...p.results.map((r) => r.message.content));
        next = p.next;
      } while (next);
      expect(walked).toEqual([9, 1, 0].map((i) => CORPUS[i]?.[2]));
    });

    it('never returns a room outside the readable set', async () => {
      readable = [rooms.get('Équipe') as string];
      expect(await contents('fox')).toEqual([]);
      expect(await contents('from:alice')).toEqual([]);
      expect(await contents('in:General fox')).toEqual([]);
      expect(await contents('bar')).toEqual([CORPUS[2]?.[2]]);
      readable = [];
      expect(await contents('bar')).toEqual([]);
    });

    it('finds a message the moment it is stored, and none of a deleted room', async () => {
      const general = rooms.get('General') as string;
      await store.appendMessages([{ roomId: general, username: 'zed', content: 'Zebra crossing' }]);
      expect(await contents('zebra')).toEqual(['Zebra crossing']);
      await store.deleteRoom(general);
      // hidden at once, before the purge
      expect(await contents('zebra')).toEqual([]);
      expect(await contents('fox')).toEqual([]);
      while ((await store.purgeSlice(3)) > 0);
      expect(await contents('zebra')).toEqual([]);
      expect(await contents('bar')).toEqual([CORPUS[2]?.[2]]);
    });

    it('answers odd input with results or a 422, never a store failure', async () => {
      const piece = fc.oneof(
        fc.constantFrom(
          '"',
          '-',
          ' ',
          '\\',
          "'",
          'from:',
          'in:',
          'before:',
          'after:',
          'fox',
          'Bär',
          '東京',
          '🎉',
          'NOT',
          'OR',
          'AND',
          'NEAR(',
          '*',
          '^',
          '(',
          ')',
          ':',
          '&',
          '|',
          '!',
          '<->',
          '\u0000',
          'x'.repeat(120),
          '2024-01-01',
        ),
        fc.string({ unit: 'binary', maxLength: 5 }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(piece, { maxLength: 10 }), async (parts) => {
          const q = parts.join('');
          try {
            await service.search(OPEN_ACTOR, q, 5);
          } catch (error) {
            expect(error).toBeInstanceOf(ChatError);
            expect((error as ChatError).status).toBe(422);
          }
        }),
        { numRuns: 150 },
      );
      const long = 'word '.repeat(99);
      await expect(service.search(OPEN_ACTOR, long)).rejects.toMatchObject({ status: 422 });
    });
  });
}
