import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../util/logger.js';

/** Serves the built web client (`npm run build`) at `/`, its service worker at `/sw.js`. */
export async function registerStaticClient(
  app: FastifyInstance,
  dir: string,
  log: Logger,
): Promise<void> {
  const root = resolve(dir);
  if (!existsSync(root)) {
    log.warn({ root }, 'web client not built (run `npm run build`); serving the API only');
    return;
  }
  await app.register(fastifyStatic, { root, wildcard: false, index: 'index.html' });
  // The service worker script is checked for updates on every visit: never reuse a
  // stale copy (fastify-static's own Cache-Control would win over `setHeaders`).
  app.addHook('onSend', async (request, reply) => {
    if (request.routeOptions.url === '/sw.js') reply.header('Cache-Control', 'no-cache');
  });
}
