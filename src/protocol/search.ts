import { type Static, Type } from '@sinclair/typebox';
import type { Message } from './rest.js';
import { MAX_QUERY_LENGTH } from './search-query.js';

// `GET /api/chat/search`: shapes shared by the server (validation, OpenAPI) and clients.

export const SearchQueryString = Type.Object({
  q: Type.String({
    maxLength: 4 * MAX_QUERY_LENGTH,
    description: `The search, as typed (README "Search"): words, "phrases", -excluded, from:name, in:room, after:YYYY-MM-DD, before:YYYY-MM-DD; at most ${MAX_QUERY_LENGTH} characters`,
  }),
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, description: 'Results per page (default 20)' }),
  ),
  before: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'Opaque cursor: the `next` of the previous page',
    }),
  ),
});
export type SearchQueryString = Static<typeof SearchQueryString>;

export const SearchResult = Type.Object(
  {
    message: Type.Unsafe<Message>(Type.Ref('Message')),
    room: Type.Object({ id: Type.String(), name: Type.String() }),
    highlights: Type.Array(Type.Tuple([Type.Integer(), Type.Integer()]), {
      description:
        'Matched words in `message.content`: [start, end) offsets in UTF-16 code units, ascending and disjoint. Plain ranges, never markup',
    }),
  },
  { $id: 'SearchResult' },
);
export type SearchResult = Static<typeof SearchResult>;

export const SearchResponse = Type.Object(
  {
    results: Type.Array(Type.Unsafe<SearchResult>(Type.Ref('SearchResult')), {
      description: 'Newest first',
    }),
    next: Type.Union([Type.String(), Type.Null()], {
      description: 'Cursor of the next page (pass as `before`), null on the last page',
    }),
  },
  { $id: 'SearchResponse' },
);
export type SearchResponse = Static<typeof SearchResponse>;
