import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { createBus } from './bus/index.js';
import type { MessageBus } from './bus/message-bus.js';
import type { Config } from './config.js';
import { MessageService } from './domain/message-service.js';
import { RoomService } from './domain/room-service.js';
import { clientErrorHandler } from './http/client-error.js';
import { registerDocs } from './http/docs.js';
import { frameworkErrors, registerErrorHandler } from './http/error-handler.js';
import { registerHealthRoutes } from './http/health-routes.js';
import { registerMetricsRoutes } from './http/metrics-routes.js';
import { registerRateLimit } from './http/rate-limit.js';
import { registerRoomRoutes } from './http/rooms-routes.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { registerStaticClient } from './http/static-client.js';
import { registerValidators } from './http/validator.js';
import { Metrics } from './metrics.js';
import { createPresence } from './presence/index.js';
import type { Presence } from './presence/presence.js';
import type { ChatStore } from './storage/chat-store.js';
import { createStore } from './storage/index.js';
import { createLogger, type Logger } from './util/logger.js';
import { WsGateway } from './ws/gateway.js';
import { RoomHub } from './ws/room-hub.js';

/** Swappable parts; anything not given is built from the config. */
export interface AppDeps {
  store?: ChatStore;
  bus?: MessageBus;
  presence?: Presence;
  log?: Logger;
}

export interface App {
  readonly http: FastifyInstance;
  readonly store: ChatStore;
  readonly bus: MessageBus;
  readonly presence: Presence;
  readonly hub: RoomHub;
  readonly gateway: WsGateway;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** This process's id in logs (`node`), metrics (`node` label) and on the bus. */
  readonly nodeId: string;
  /** Starts listening; resolves with the base URL, e.g. `http://127.0.0.1:8000`. */
  listen(): Promise<string>;
  /** Graceful shutdown: refuse new work, close sockets with 1001, flush writes, close bus and store. */
  close(): Promise<void>;
}

export async function createApp(config: Config, deps: AppDeps = {}): Promise<App> {
  const nodeId = randomUUID().slice(0, 8);
  const log = deps.log ?? createLogger(config.logLevel, nodeId);
  const metrics = new Metrics(nodeId);
  const storeError = (operation: string, error: unknown) => {
    metrics.storeErrors.inc({ operation });
    log.debug({ err: error, operation }, 'store operation failed');
  };
  const busError = (operation: string) => metrics.busErrors.inc({ operation });
  const store = deps.store ?? createStore(config, { onError: storeError });
  const bus = deps.bus ?? createBus(config, { nodeId, log, onError: busError });
  const presence = deps.presence ?? createPresence(config, { nodeId, bus, log, onError: busError });
  await store.init();
  await bus.init();
  await presence.init();

  const messages = new MessageService(store, bus, log);
  const rooms = new RoomService(store, bus, config.limits);
  const hub = new RoomHub(bus, { store, presence, log, metrics });
  metrics.track({ connections: () => hub.connectionCount(), rooms: () => hub.roomCount() });

  const http: FastifyInstance = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps route types at Fastify's defaults.
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.limits.maxBodyBytes,
    trustProxy: config.http.trustProxy,
    return503OnClosing: true,
    frameworkErrors,
    clientErrorHandler,
  });
  registerValidators(http);
  registerErrorHandler(http);
  registerSecurityHeaders(http);
  registerRateLimit(http, config.http);
  await registerDocs(http);
  registerHealthRoutes(http, store, bus);
  registerMetricsRoutes(http, metrics);
  registerRoomRoutes(http, rooms);
  await registerStaticClient(http, config.publicDir, log);
  await http.ready();

  const gateway = new WsGateway({ config, store, bus, presence, messages, hub, log, metrics });
  gateway.attach(http.server);

  let closing: Promise<void> | undefined;
  return {
    http,
    store,
    bus,
    presence,
    hub,
    gateway,
    log,
    metrics,
    nodeId,
    async listen() {
      await http.listen({ host: config.host, port: config.port });
      const { address, port } = http.server.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      return `http://${host === '0.0.0.0' || host === '[::]' ? 'localhost' : host}:${port}`;
    },
    close() {
      closing ??= (async () => {
        await Promise.all([gateway.close(), http.close()]);
        await messages.drain();
        // Before the bus: withdrawing this process's users publishes leave notices.
        await presence.close();
        await bus.close();
        await store.close();
      })();
      return closing;
    },
  };
}
