import type { FastifyInstance } from 'fastify';
import { HealthStatus } from '../../protocol/rest.js';
import type { MessageBus } from '../bus/message-bus.js';
import type { ChatStore } from '../storage/chat-store.js';
import { ok, ref } from './responses.js';

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
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process is up',
        tags: ['health'],
        response: { 200: ok('Alive: `{"status": "ok"}`', ref(HealthStatus)) },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the database and the bus answer',
        tags: ['health'],
        response: {
          200: ok('Ready: `store` and `bus` are `ok`', ref(HealthStatus)),
          503: ok('Not ready: `store` or `bus` is `unreachable`', ref(HealthStatus)),
        },
      },
    },
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
