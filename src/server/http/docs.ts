import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { errorCodeEntries } from '../../protocol/code-docs.js';
import { asyncApiDocument } from './asyncapi.js';

function description(): string {
  const rows = errorCodeEntries().map(
    (e) => `| \`${e.code}\` | ${e.http.join(', ') || '-'} | ${e.ws ? 'yes' : '-'} | ${e.meaning} |`,
  );
  return [
    'Real-time chat: REST for rooms and history (this document). Live messages use the WebSocket ' +
      'endpoint `/ws/chat/{room_id}?username=NAME[&since=SEQ]`, described by the AsyncAPI document ' +
      '[`/asyncapi.json`](/asyncapi.json) (frames, error codes, close codes).',
    '',
    'Every error is `{"detail": ..., "code": "..."}`; switch on `code`, never on `detail`. ' +
      'Any other path answers `404` with `NOT_FOUND`. The codes (also in `x-error-codes`):',
    '',
    '| code | HTTP status | in WebSocket `error` frames | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** OpenAPI generated from the route schemas at /openapi.json, interactive docs at /docs; AsyncAPI at /asyncapi.json. */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: { title: 'Parley', description: description(), version: '1' },
      tags: [
        { name: 'rooms', description: 'Create, list and delete rooms' },
        { name: 'messages', description: "A room's message history" },
        { name: 'health', description: 'Liveness and readiness probes' },
        { name: 'push', description: 'Web Push notifications (when `CHAT_PUSH=on`)' },
      ],
    },
    // Components are named by the schemas' `$id` (Room, Message, ErrorBody), not def-N.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    // Only the OpenAPI form is generated here (the `openapi` option above).
    transformObject: (doc) => ({
      ...('openapiObject' in doc ? doc.openapiObject : doc.swaggerObject),
      'x-error-codes': errorCodeEntries(),
    }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/asyncapi.json', { schema: { hide: true } }, async () => asyncApiDocument());
}
