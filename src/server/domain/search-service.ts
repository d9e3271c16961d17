import type { SearchResponse } from '../../protocol/search.js';
import { highlightRanges, parseSearchQuery } from '../../protocol/search-query.js';
import { validationFailed } from '../errors.js';
import type { ChatStore } from '../storage/chat-store.js';
import type { Actor } from './actor.js';

/**
 * The rooms `actor` may read: their ids, or 'all' for every room (the open mode,
 * where every room is public). The only privacy decision search makes.
 */
export type ReadableRooms = (actor: Actor) => Promise<readonly string[] | 'all'>;

/** Every room is readable by everyone: Parley without accounts (and tests). */
export const everyRoom: ReadableRooms = async () => 'all';

/**
 * The rooms the room list shows the actor (room-access.ts's `see`): in open mode
 * all; for an account, the public rooms and the private rooms and DMs it is a
 * member of.
 */
export const visibleRooms =
  (store: ChatStore): ReadableRooms =>
  async (actor) =>
    actor.kind === 'open' ? 'all' : (await store.listRooms(actor.userId)).map((r) => r.id);

export const DEFAULT_SEARCH_LIMIT = 20;
export const MAX_SEARCH_LIMIT = 100;

const CURSOR = /^p(\d{1,15})$/;

/** Full-text search over the messages an actor may read. */
export class SearchService {
  constructor(
    private readonly store: ChatStore,
    private readonly readableRooms: ReadableRooms = everyRoom,
  ) {}

  async search(
    actor: Actor,
    text: string,
    limit = DEFAULT_SEARCH_LIMIT,
    before?: string,
  ): Promise<SearchResponse> {
    const parsed = parseSearchQuery(text);
    if (!parsed.ok) throw validationFailed(['query', 'q'], parsed.message, parsed.type);
    let beforePos: number | undefined;
    if (before !== undefined) {
      const m = CURSOR.exec(before);
      if (!m) throw validationFailed(['query', 'before'], 'Invalid cursor', 'value_error');
      beforePos = Number(m[1]);
    }
    const q = parsed.query;
    const readable = await this.readableRooms(actor);
    if (readable !== 'all' && readable.length === 0) return { results: [], next: null };
    // One row past the page tells whether there is a next one.
    const hits = await this.store.searchMessages({
      include: q.include,
      exclude: q.exclude,
      from: q.from,
      roomNames: q.in,
      roomIds: readable === 'all' ? undefined : readable,
      after: q.after ? `${q.after}T00:00:00.000Z` : undefined,
      before: q.before ? `${q.before}T00:00:00.000Z` : undefined,
      limit: limit + 1,
      beforePos,
    });
    const more = hits.length > limit;
    if (more) hits.pop();
    const last = hits[hits.length - 1];
    return {
      results: hits.map((h) => ({
        message: h.message,
        room: h.room,
        highlights: highlightRanges(h.message.content, q),
      })),
      next: more && last ? `p${last.pos}` : null,
    };
  }
}
