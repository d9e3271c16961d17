import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** OpenAPI generated from the route schemas; interactive docs at /docs. */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Parley',
        description:
          'Real-time chat: REST for rooms and history. Live messages use the WebSocket ' +
          'endpoint `/ws/chat/{room_id}?username=NAME[&since=SEQ]` (see the README for frames and close codes).',
        version: '1',
      },
      tags: [{ name: 'rooms' }, { name: 'messages' }, { name: 'health' }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
