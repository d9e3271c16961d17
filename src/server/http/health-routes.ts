import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { MessageBus } from '../bus/message-bus.js';
import type { ChatStore } from '../storage/chat-store.js';

const Status = Type.Object({
  status: Type.String(),
  store: Type.Optional(Type.String()),
  bus: Type.Optional(Type.String()),
});

async function probe(check: () => Promise<void>): Promise<string> {
  try {
    await check();
    return 'ok';
  } catch {
    return 'unreachable';
  }
}

/** `/healthz`: the process is alive. `/readyz`: its database and bus answer. */
export function registerHealthRoutes(
  app: FastifyInstance,
  store: ChatStore,
  bus: MessageBus,
): void {
  app.get('/healthz', { schema: { tags: ['health'], response: { 200: Status } } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: { tags: ['health'], response: { 200: Status, 503: Status } } },
    async (_request, reply) => {
      const [storeState, busState] = await Promise.all([
        probe(() => store.ping()),
        probe(() => bus.ping()),
      ]);
      const ready = storeState === 'ok' && busState === 'ok';
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'unavailable', store: storeState, bus: busState });
    },
  );
}
