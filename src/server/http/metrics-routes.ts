import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';

/** `/metrics`: this process's Prometheus metrics, in the text exposition format. */
export function registerMetricsRoutes(app: FastifyInstance, metrics: Metrics): void {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await metrics.render();
    return reply.header('content-type', metrics.contentType).send(body);
  });
}
