import type { FastifyInstance } from 'fastify';
import { SearchQueryString, SearchResponse } from '../../protocol/search.js';
import type { SearchService } from '../domain/search-service.js';
import { apiErrors, authErrors, invalid, ok, ref } from './responses.js';
import { actorOf } from './rooms-routes.js';

/** `GET /api/chat/search`: full-text search over the rooms the caller may read. */
export function registerSearchRoutes(
  app: FastifyInstance,
  search: SearchService,
  accountsMode = false,
): void {
  app.get<{ Querystring: SearchQueryString }>(
    '/api/chat/search',
    {
      schema: {
        summary: 'Search messages, newest first',
        description:
          'Query syntax: words (all must occur), `"exact phrase"`, `-excluded`, `from:name`, ' +
          '`in:room` (`in:"Room name"`), `after:YYYY-MM-DD` (that day included) and ' +
          '`before:YYYY-MM-DD` (UTC days). Matching is by whole words, case- and accent-blind; ' +
          'Chinese and Japanese text is matched character by character. Only rooms the caller ' +
          'may read are searched. `highlights` gives the matched ranges of each message.',
        tags: ['search'],
        querystring: SearchQueryString,
        response: {
          200: ok('One page of results, newest first', ref(SearchResponse)),
          422: invalid(
            'The query cannot be searched (empty, too long, a bad date or filter), or bad `limit`/`before`',
            ['query', 'q'],
            'before: needs a date written YYYY-MM-DD, not "yesterday"',
            'invalid_date',
          ),
          ...(accountsMode ? authErrors : {}),
          ...apiErrors,
        },
      },
    },
    async (request) => {
      const { q, limit, before } = request.query;
      return search.search(actorOf(request), q, limit, before);
    },
  );
}
