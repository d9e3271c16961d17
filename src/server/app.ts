// Builds the whole server from a Config: stores, bus, presence, domain services,
// HTTP routes and the WebSocket gateway, in the order they depend on each other.
// Over 300 lines: it is the one place where every part is wired (no container).
import { randomUUID } from 'node:crypto';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { type BlobStore, createBlobStore } from './blobs/index.js';
import { createBus } from './bus/index.js';
import type { MessageBus } from './bus/message-bus.js';
import type { Config } from './config.js';
import { AccountService } from './domain/accounts.js';
import { AttachmentService } from './domain/attachment-service.js';
import { ChangeService } from './domain/change-service.js';
import { MessageService } from './domain/message-service.js';
import { RoomAccess } from './domain/room-access.js';
import { RoomPresence } from './domain/room-presence.js';
import { RoomPurger } from './domain/room-purger.js';
import { RoomService } from './domain/room-service.js';
import { type ReadableRooms, SearchService, visibleRooms } from './domain/search-service.js';
import { SidebarService } from './domain/sidebar.js';
import { registerAdminRoutes } from './http/admin-routes.js';
import { registerAuthModeRoute, registerAuthRoutes } from './http/auth-routes.js';
import { clientErrorHandler } from './http/client-error.js';
import { registerDocs } from './http/docs.js';
import { frameworkErrors, registerErrorHandler } from './http/error-handler.js';
import { registerFileRoutes } from './http/files-routes.js';
import { registerHealthRoutes } from './http/health-routes.js';
import { registerIdentity } from './http/identity.js';
import { capIdleConnections } from './http/idle-connections.js';
import { registerMembershipRoutes } from './http/membership-routes.js';
import { registerMessageChangeRoutes } from './http/message-change-routes.js';
import { registerMetricsRoutes } from './http/metrics-routes.js';
import { registerPushRoutes } from './http/push-routes.js';
import { registerRateLimit } from './http/rate-limit.js';
import { registerSharedSchemas } from './http/responses.js';
import { registerMessagePostRoute, registerRoomRoutes } from './http/rooms-routes.js';
import { registerSearchRoutes } from './http/search-routes.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { registerSidebarRoutes } from './http/sidebar-routes.js';
import { registerStaticClient } from './http/static-client.js';
import { registerValidators } from './http/validator.js';
import { Metrics } from './metrics.js';
import { createPresence } from './presence/index.js';
import type { Presence } from './presence/presence.js';
import { PushAudience } from './push/push-audience.js';
import { PushNotifier } from './push/push-notifier.js';
import { PushSubscriptions } from './push/push-subscriptions.js';
import { loadVapidKeys, vapidKeyHome } from './push/vapid-keys.js';
import type { AccountStore } from './storage/account-store.js';
import type { ChatStore } from './storage/chat-store.js';
import { createStore } from './storage/index.js';
import type { PushStore, SharedVapidKeys } from './storage/push-store.js';
import type { SidebarStore } from './storage/sidebar-store.js';
import { guardStore } from './storage/store-error.js';
import { createLogger, type Logger } from './util/logger.js';
import { WsGateway } from './ws/gateway.js';
import { RoomHub } from './ws/room-hub.js';

/** Swappable parts; anything not given is built from the config. */
export interface AppDeps {
  /** A store without `accounts` serves open mode only. */
  store?: ChatStore;
  accounts?: AccountStore;
  /** Sidebars and read positions; without one (and a given store) there are no `/api/chat/me/rooms`. */
  sidebars?: SidebarStore;
  bus?: MessageBus;
  presence?: Presence;
  blobs?: BlobStore;
  log?: Logger;
  /** Which rooms a searcher may read; by default the rooms the room list shows them. */
  readableRooms?: ReadableRooms;
  /** Push subscriptions; with a given `store`, push is off unless this is given too. */
  pushStore?: PushStore & Partial<SharedVapidKeys>;
  /** The HTTPS agent for requests to push services (tests: one trusting a test certificate). */
  pushAgent?: https.Agent;
}

export interface App {
  readonly http: FastifyInstance;
  readonly store: ChatStore;
  /** Accounts, sessions, memberships (undefined only for a given store without accounts). */
  readonly accountStore: AccountStore | undefined;
  /** Sign-up, sessions, tokens, admin (accounts mode); null in open mode. */
  readonly accounts: AccountService | null;
  /** Sidebars and read state (null with a given store that keeps none). */
  readonly sidebar: SidebarService | null;
  readonly bus: MessageBus;
  readonly presence: Presence;
  readonly blobs: BlobStore;
  /** Uploads, downloads, and the sweep of abandoned uploads. */
  readonly attachments: AttachmentService;
  readonly hub: RoomHub;
  readonly gateway: WsGateway;
  /** Deletes deleted rooms' messages in the background. */
  readonly purger: RoomPurger;
  /** Web Push; null when `CHAT_PUSH=off` or the keys could not be kept. */
  readonly push: PushNotifier | null;
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
  const log = deps.log ?? createLogger(config.logLevel, nodeId, config.logFormat);
  const metrics = new Metrics(nodeId);
  const storeError = (operation: string, error: unknown) => {
    metrics.storeErrors.inc({ operation });
    log.debug({ err: error, operation }, 'store operation failed');
  };
  const busError = (operation: string) => metrics.busErrors.inc({ operation });
  const built = deps.store ? undefined : createStore(config, { onError: storeError });
  const store = guardStore(deps.store ?? (built as ChatStore), storeError);
  const bus = deps.bus ?? createBus(config, { nodeId, log, onError: busError });
  const presence = deps.presence ?? createPresence(config, { nodeId, bus, log, onError: busError });
  const blobs = deps.blobs ?? createBlobStore(config);
  await store.init();
  const rawAccounts = deps.accounts ?? built?.accountStore();
  if (!rawAccounts && config.auth.mode === 'accounts') {
    throw new Error('CHAT_AUTH=accounts needs a store that keeps accounts');
  }
  const accountStore = rawAccounts && guardStore(rawAccounts, storeError);
  const rawSidebars = deps.sidebars ?? built?.sidebarStore();
  const sidebarStore = rawSidebars && guardStore(rawSidebars, storeError);
  // After the store: the postgres blob store's tables come with its migrations.
  await blobs.init();
  await bus.init();
  await presence.init();

  const accountsMode = config.auth.mode === 'accounts';
  const rawPushStore = deps.pushStore ?? built?.pushStore();
  const pushStore = rawPushStore && guardStore(rawPushStore, storeError);
  const roomPresence = new RoomPresence(presence, bus, log);
  const push =
    pushStore && config.push.mode === 'on'
      ? await startPush(config, deps, log, pushStore, rawPushStore, {
          audience: new PushAudience(
            store,
            accountsMode ? accountStore : undefined,
            sidebarStore ?? undefined,
          ),
          presence: roomPresence,
          metrics,
        })
      : null;
  const messages = new MessageService(
    store,
    bus,
    log,
    push ? (message) => push.enqueue(message) : undefined,
  );
  // Open mode asks no membership questions: every room is everyone's.
  const access = new RoomAccess(store, accountsMode ? accountStore : undefined);
  const attachments = new AttachmentService(
    store,
    blobs,
    access,
    {
      maxUploadBytes: config.limits.maxUploadBytes,
      abandonMs: config.uploads.abandonMs,
      sweepMs: config.uploads.sweepMs,
    },
    log,
  );
  attachments.start();
  const changes = new ChangeService(store, messages, access, attachments, log);
  // SQLite purges on the event loop: slices as short as a commit. PostgreSQL's
  // work happens elsewhere; its slices only need to keep transactions short.
  const purger = new RoomPurger(store, log, {
    ...(config.backends.store === 'postgres' ? { sliceMs: 200 } : {}),
    purgeFiles: (limit) => attachments.purgeDeletedRooms(limit),
  });
  // Rooms deleted before a crash or restart may still hold messages.
  purger.kick();
  const sidebar = sidebarStore
    ? new SidebarService(sidebarStore, access, bus, log, accountsMode ? accountStore : undefined)
    : null;
  const rooms = new RoomService(
    store,
    bus,
    config.limits,
    purger,
    access,
    accountsMode ? accountStore : undefined,
    sidebar ?? undefined,
  );
  // Open mode has no accounts: nobody signs in, every room is everyone's.
  const accounts =
    accountsMode && accountStore ? new AccountService(accountStore, bus, config, log) : null;
  const hub = new RoomHub(bus, {
    store,
    presence: roomPresence,
    log,
    metrics,
    ...(accountsMode ? { access } : {}),
  });
  metrics.track({ connections: () => hub.connectionCount(), rooms: () => hub.roomCount() });

  const http: FastifyInstance = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps route types at Fastify's defaults.
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.limits.maxBodyBytes,
    trustProxy: config.http.trustProxy,
    return503OnClosing: true,
    // Slow clients: Node's defaults let one hold a socket for 60 s (headers) or 5 min (request).
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    maxRequestsPerSocket: config.http.maxRequestsPerSocket,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      // Node enforces both timeouts on this tick (30 s by default, which would dwarf them).
      connectionsCheckingInterval: Math.min(1_000, config.http.headersTimeoutMs),
    },
    frameworkErrors,
    clientErrorHandler,
  });
  if (config.http.maxConnections > 0) http.server.maxConnections = config.http.maxConnections;
  capIdleConnections(http.server, config.http.maxIdleConnections);
  registerValidators(http);
  registerSharedSchemas(http);
  registerErrorHandler(http);
  registerSecurityHeaders(http);
  const rateLimits = await registerRateLimit(http, config, log, nodeId);
  registerIdentity(http, config, accounts);
  await registerDocs(http);
  registerHealthRoutes(http, store, bus);
  registerMetricsRoutes(http, metrics, config.metrics);
  registerRoomRoutes(http, rooms, rateLimits, accountsMode, config.limits.maxUsernameLength);
  if (sidebar) registerSidebarRoutes(http, sidebar, config.limits, accountsMode);
  registerSearchRoutes(
    http,
    new SearchService(store, deps.readableRooms ?? visibleRooms(store)),
    accountsMode,
  );
  registerMessagePostRoute(http, messages, access, config.limits, accountsMode);
  registerMessageChangeRoutes(http, changes, config.limits, accountsMode);
  await registerFileRoutes(http, attachments, config.limits.maxUploadBytes);
  registerAuthModeRoute(http, accounts);
  if (accounts) {
    registerAuthRoutes(http, accounts, config);
    registerAdminRoutes(http, accounts);
    registerMembershipRoutes(http, rooms);
  }
  if (push && pushStore) {
    registerPushRoutes(
      http,
      new PushSubscriptions(pushStore),
      push.publicKey,
      config.limits,
      accountsMode,
    );
  }
  await registerStaticClient(http, config.publicDir, log);
  await http.ready();

  const gateway = new WsGateway({
    config,
    store,
    presence: roomPresence,
    messages,
    changes,
    hub,
    log,
    metrics,
    bus,
    ...(sidebar ? { readPositions: sidebar } : {}),
    ...(accounts ? { auth: { accounts, access, bus } } : {}),
  });
  gateway.attach(http.server);

  let closing: Promise<void> | undefined;
  return {
    http,
    store,
    accountStore,
    accounts,
    sidebar,
    bus,
    presence,
    blobs,
    attachments,
    hub,
    gateway,
    purger,
    push,
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
        await push?.close();
        // Before the bus: withdrawing this process's users publishes leave notices.
        await presence.close();
        await bus.close();
        await purger.close();
        await attachments.close();
        await store.close();
        await blobs.close();
      })();
      return closing;
    },
  };
}

/**
 * Loads (or makes) the VAPID keys and starts the notifier; null, with the reason
 * logged, when the keys cannot be kept (a read-only data directory): the server
 * runs without push rather than not at all.
 */
async function startPush(
  config: Config,
  deps: AppDeps,
  log: Logger,
  store: PushStore,
  keyStore: Partial<SharedVapidKeys>,
  parts: { audience: PushAudience; presence: RoomPresence; metrics: Metrics },
): Promise<PushNotifier | null> {
  let keys: Awaited<ReturnType<typeof loadVapidKeys>>;
  try {
    keys = await loadVapidKeys(vapidKeyHome(config.dbPath, keyStore));
  } catch (error) {
    log.warn({ err: error }, 'push is off: the VAPID keys could not be made or read');
    return null;
  }
  return new PushNotifier(parts.audience, store, parts.presence, log, {
    keys,
    subject: config.push.subject,
    count: (result) => parts.metrics.pushes.inc({ result }),
    ...(deps.pushAgent ? { agent: deps.pushAgent } : {}),
  });
}
