// The one place that reads process.env. Every option is listed in CONFIG_TABLE
// with its default and documentation; a test keeps the README table in step.
// Long on purpose: one entry per setting, each with its documentation, read top to bottom.
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DEFAULT_LIMITS } from '../protocol/limits.js';
import { ConfigError } from './errors.js';

const Int = Type.Integer({ minimum: 0 });
const OneOf = <T extends string>(...values: T[]) => Type.Union(values.map((v) => Type.Literal(v)));

/**
 * The shape of a valid configuration. `Config` is derived from it, and
 * `loadConfig` checks the parsed environment against it, so the object the
 * server runs with is typed end to end without a cast.
 */
export const ConfigSchema = Type.Object({
  host: Type.String(),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  /** SQLite database file; `:memory:` for a throwaway database. */
  dbPath: Type.String(),
  /** SQLite `synchronous` in WAL mode: `normal` survives a process crash, `full` also power loss. */
  sqliteSync: OneOf('normal', 'full'),
  logLevel: Type.String(),
  /** `auto`: pretty when stdout is a terminal, JSON lines otherwise. */
  logFormat: OneOf('auto', 'json', 'pretty'),
  /** Serve the web client from this folder. */
  publicDir: Type.String(),
  limits: Type.Object({
    maxContentLength: Int,
    maxUsernameLength: Int,
    maxRoomNameLength: Int,
    maxHistoryLimit: Int,
    maxClientIdLength: Int,
    /** Largest WebSocket frame in bytes; larger ones close the connection with 1009. */
    maxFrameBytes: Int,
    /** Largest HTTP request body in bytes. */
    maxBodyBytes: Int,
    /** Most messages replayed on resume before the server asks the client to resync. */
    replayLimit: Int,
    /** Largest uploaded file in bytes, enforced while it streams in. */
    maxUploadBytes: Int,
    /** Upload ids in one message. */
    maxAttachments: Int,
  }),
  uploads: Type.Object({
    /** Folder of the `fs` blob store; empty: `blobs` beside the SQLite file. */
    dir: Type.String(),
    /** An upload not sent with a message within this is deleted. */
    abandonMs: Int,
    /** How often abandoned uploads are looked for. */
    sweepMs: Int,
  }),
  ws: Type.Object({
    /** Token bucket per connection: frames per second, and burst size. 0 disables. */
    ratePerSec: Int,
    rateBurst: Int,
    /** A connection throttled by the rate limit without a break this long is closed (4129). 0 never. */
    throttleMaxMs: Int,
    /** A connection whose unsent data exceeds this many bytes is dropped (slow consumer). */
    slowConsumerBytes: Int,
    /** Ping interval; a peer that misses one pong is dropped. */
    heartbeatMs: Int,
    /** Open WebSocket connections per client IP address. 0 disables. */
    maxConnectionsPerIp: Int,
    /** Rooms one `/ws/workspace` socket may subscribe to at once. */
    maxSubscriptions: Int,
    /** Extra origins allowed to open WebSockets (the server's own origin and localhost always are). `*` allows any. */
    allowedOrigins: Type.Array(Type.String()),
  }),
  http: Type.Object({
    /** Take the client address from X-Forwarded-For (only behind a trusted proxy). */
    trustProxy: Type.Boolean(),
    /**
     * REST rate limit per client IP: at most `rateBurst` requests per window of
     * `rateBurst / ratePerSec` seconds, shared by every process through Redis. 0 disables.
     */
    ratePerSec: Int,
    rateBurst: Int,
    /** Room creations per minute per client IP (0 disables; also off when ratePerSec is 0). */
    roomCreatePerMin: Int,
    /** A client must finish its request headers within this (Node's default is 60 s). */
    headersTimeoutMs: Int,
    /** A client must finish its whole request, body included, within this. */
    requestTimeoutMs: Int,
    /** An idle keep-alive connection is closed after this. */
    keepAliveTimeoutMs: Int,
    /** After this many requests a keep-alive connection is closed (0: no limit). */
    maxRequestsPerSocket: Int,
    /** Most idle HTTP connections (keep-alive, or not yet sent a request) kept; the oldest go first. 0: no cap. */
    maxIdleConnections: Int,
    /** Most open TCP connections of this process, WebSockets included (0: no cap). */
    maxConnections: Int,
  }),
  auth: Type.Object({
    /** `open`: anyone may post under any name (the original API); `accounts`: sign-in required. */
    mode: OneOf('open', 'accounts'),
    /** A session unused this long (days; fractions allowed in tests) ends. */
    sessionIdleDays: Type.Number({ exclusiveMinimum: 0 }),
    /** Failed logins per account allowed before each further attempt must wait. */
    loginFreeAttempts: Int,
    /** Failed logins per client address allowed before each further attempt must wait. */
    loginFreeAttemptsPerIp: Int,
    /** The longest wait (seconds) the doubling delay after failed logins reaches. */
    loginMaxDelaySec: Type.Integer({ minimum: 1 }),
  }),
  metrics: Type.Object({
    /** Bearer token that opens `/metrics` to any address; empty: loopback addresses only. */
    token: Type.String(),
  }),
  /** Which implementation of each seam runs; `auto` in the environment follows the URLs. */
  backends: Type.Object({
    store: OneOf('sqlite', 'postgres'),
    bus: OneOf('local', 'redis'),
    presence: OneOf('local', 'redis'),
    blobs: OneOf('fs', 'postgres'),
  }),
  /** PostgreSQL URL (`postgres://user@host:5432/db`), for the `postgres` store. */
  databaseUrl: Type.String(),
  postgres: Type.Object({
    /** Schema holding Parley's tables; created on first start. */
    schema: Type.String(),
    /** Connections per process. */
    poolSize: Int,
    /** A connection attempt or query slower than this fails (`STORE_FAILED`) instead of hanging. */
    timeoutMs: Int,
  }),
  /** Redis URL (`redis://host:6379`), for the `redis` bus and presence. */
  redisUrl: Type.String(),
  redis: Type.Object({
    /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
    prefix: Type.String(),
    /** A process whose presence heartbeat is older than this is dead: its users leave everywhere. */
    presenceTtlMs: Int,
    /** How often a process refreshes its heartbeat and sweeps dead processes. */
    presenceHeartbeatMs: Int,
  }),
  /** The supervisor (src/server/cluster.ts: `npm start`, `npm run start:cluster`) only. */
  cluster: Type.Object({
    workers: Int,
    /** `shared`: every worker on PORT (node:cluster balances); `spread`: worker i on PORT+i. */
    ports: OneOf('shared', 'spread'),
  }),
});

export type Config = Static<typeof ConfigSchema>;

type Kind = 'string' | 'int' | 'bool' | 'list' | { oneOf: readonly string[] };

interface Option {
  env: string;
  path: string;
  kind: Kind;
  default: string;
  doc: string;
}

/** Every environment variable, its config path, default and meaning. */
export const CONFIG_TABLE: readonly Option[] = [
  { env: 'HOST', path: 'host', kind: 'string', default: '0.0.0.0', doc: 'Address to listen on' },
  {
    env: 'PORT',
    path: 'port',
    kind: 'int',
    default: '8000',
    doc: 'Port to listen on (0 picks a free one)',
  },
  {
    env: 'CHAT_DB_PATH',
    path: 'dbPath',
    kind: 'string',
    default: './data/parley.db',
    doc: 'SQLite database file, created on first start (`:memory:` for a throwaway one)',
  },
  {
    env: 'CHAT_SQLITE_SYNC',
    path: 'sqliteSync',
    kind: { oneOf: ['normal', 'full'] },
    default: 'normal',
    doc: '`normal`: a committed message survives a crash of the server process; `full`: also a power loss (slower)',
  },
  {
    env: 'CHAT_LOG_LEVEL',
    path: 'logLevel',
    kind: { oneOf: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] },
    default: 'info',
    doc: 'pino log level',
  },
  {
    env: 'CHAT_LOG_FORMAT',
    path: 'logFormat',
    kind: { oneOf: ['auto', 'json', 'pretty'] },
    default: 'auto',
    doc: '`auto`: readable, coloured lines when stdout is a terminal, one JSON object per line otherwise; `json` or `pretty` to choose',
  },
  {
    env: 'CHAT_PUBLIC_DIR',
    path: 'publicDir',
    kind: 'string',
    default: './dist/public',
    doc: 'Folder of the built web client',
  },
  {
    env: 'CHAT_MAX_CONTENT_LENGTH',
    path: 'limits.maxContentLength',
    kind: 'int',
    default: String(DEFAULT_LIMITS.maxContentLength),
    doc: 'Characters in a message',
  },
  {
    env: 'CHAT_MAX_USERNAME_LENGTH',
    path: 'limits.maxUsernameLength',
    kind: 'int',
    default: String(DEFAULT_LIMITS.maxUsernameLength),
    doc: 'Characters in a username',
  },
  {
    env: 'CHAT_MAX_ROOM_NAME_LENGTH',
    path: 'limits.maxRoomNameLength',
    kind: 'int',
    default: String(DEFAULT_LIMITS.maxRoomNameLength),
    doc: 'Characters in a room name (after trimming)',
  },
  {
    env: 'CHAT_MAX_HISTORY_LIMIT',
    path: 'limits.maxHistoryLimit',
    kind: 'int',
    default: String(DEFAULT_LIMITS.maxHistoryLimit),
    doc: 'Largest `limit` of the history endpoint; larger gets 422',
  },
  {
    env: 'CHAT_MAX_CLIENT_ID_LENGTH',
    path: 'limits.maxClientIdLength',
    kind: 'int',
    default: String(DEFAULT_LIMITS.maxClientIdLength),
    doc: 'Characters in a `client_id`',
  },
  {
    env: 'CHAT_MAX_FRAME_BYTES',
    path: 'limits.maxFrameBytes',
    kind: 'int',
    default: '65536',
    doc: 'Largest WebSocket frame; larger closes with 1009',
  },
  {
    env: 'CHAT_MAX_BODY_BYTES',
    path: 'limits.maxBodyBytes',
    kind: 'int',
    default: '65536',
    doc: 'Largest HTTP request body; larger gets 413',
  },
  {
    env: 'CHAT_MAX_UPLOAD_BYTES',
    path: 'limits.maxUploadBytes',
    kind: 'int',
    default: '26214400',
    doc: 'Largest uploaded file (25 MiB); checked while it streams in: past it the upload is cut off, nothing is kept, and the answer is 413',
  },
  {
    env: 'CHAT_MAX_ATTACHMENTS',
    path: 'limits.maxAttachments',
    kind: 'int',
    default: String(DEFAULT_LIMITS.maxAttachments),
    doc: 'Files in one message',
  },
  {
    env: 'CHAT_BLOB_STORE',
    path: 'backends.blobs',
    kind: { oneOf: ['auto', 'fs', 'postgres'] },
    default: 'auto',
    doc: 'Where uploaded files are kept: `fs` (a folder, `CHAT_BLOB_DIR`) or `postgres` (`DATABASE_URL`, shared by every process); `auto` is `postgres` when the store is',
  },
  {
    env: 'CHAT_BLOB_DIR',
    path: 'uploads.dir',
    kind: 'string',
    default: '',
    doc: 'Folder of the `fs` blob store; empty: `blobs` beside `CHAT_DB_PATH` (a temporary folder for `:memory:`). Several processes may share it only on a shared filesystem',
  },
  {
    env: 'CHAT_UPLOAD_ABANDON_MS',
    path: 'uploads.abandonMs',
    kind: 'int',
    default: '86400000',
    doc: 'An upload not sent with a message within this (24 h) is deleted',
  },
  {
    env: 'CHAT_UPLOAD_SWEEP_MS',
    path: 'uploads.sweepMs',
    kind: 'int',
    default: '600000',
    doc: 'How often each process looks for abandoned uploads (10 min)',
  },
  {
    env: 'CHAT_REPLAY_LIMIT',
    path: 'limits.replayLimit',
    kind: 'int',
    default: '1000',
    doc: 'Most messages replayed on a resume (`since=`); beyond it the client gets a `resync` frame',
  },
  {
    env: 'CHAT_WS_RATE',
    path: 'ws.ratePerSec',
    kind: 'int',
    default: '20',
    doc: 'Frames per second processed per connection; a faster sender is slowed down, never refused (token bucket refill; 0 disables)',
  },
  {
    env: 'CHAT_WS_BURST',
    path: 'ws.rateBurst',
    kind: 'int',
    default: '40',
    doc: 'Token bucket size per connection: frames processed at once after a pause',
  },
  {
    env: 'CHAT_WS_THROTTLE_MAX_MS',
    path: 'ws.throttleMaxMs',
    kind: 'int',
    default: '60000',
    doc: 'A connection that keeps sending faster than `CHAT_WS_RATE` is throttled (its frames are read more slowly, none is dropped); throttled without a break this long, it is closed with 4129 once its stored messages are echoed (0 never closes)',
  },
  {
    env: 'CHAT_WS_SLOW_CONSUMER_BYTES',
    path: 'ws.slowConsumerBytes',
    kind: 'int',
    default: '4194304',
    doc: 'Unsent bytes queued for one connection before it is closed with 4100',
  },
  {
    env: 'CHAT_WS_HEARTBEAT_MS',
    path: 'ws.heartbeatMs',
    kind: 'int',
    default: '30000',
    doc: 'Ping interval; a connection that misses a pong is dropped',
  },
  {
    env: 'CHAT_WS_MAX_PER_IP',
    path: 'ws.maxConnectionsPerIp',
    kind: 'int',
    default: '256',
    doc: 'Open WebSockets per client IP (0 disables)',
  },
  {
    env: 'CHAT_WS_MAX_SUBSCRIPTIONS',
    path: 'ws.maxSubscriptions',
    kind: 'int',
    default: '1000',
    doc: 'Rooms one `/ws/workspace` socket may subscribe to at once (more: `TOO_MANY_SUBSCRIPTIONS`)',
  },
  {
    env: 'CHAT_WS_ALLOWED_ORIGINS',
    path: 'ws.allowedOrigins',
    kind: 'list',
    default: '',
    doc: "Comma-separated extra origins allowed to open WebSockets; the server's own origin and localhost always are; `*` allows any",
  },
  {
    env: 'CHAT_TRUST_PROXY',
    path: 'http.trustProxy',
    kind: 'bool',
    default: 'false',
    doc: 'Take client addresses (for rate and connection limits) from `X-Forwarded-For`; set `true` only behind a proxy you run, such as nginx',
  },
  {
    env: 'CHAT_HTTP_RATE',
    path: 'http.ratePerSec',
    kind: 'int',
    default: '50',
    doc: 'REST requests per second per client IP, on average over the window below (0 disables every REST rate limit)',
  },
  {
    env: 'CHAT_HTTP_BURST',
    path: 'http.rateBurst',
    kind: 'int',
    default: '200',
    doc: 'REST requests per client IP within one window of `CHAT_HTTP_BURST / CHAT_HTTP_RATE` seconds (a fixed window, counted across every process when `REDIS_URL` is set)',
  },
  {
    env: 'CHAT_ROOM_CREATE_RATE',
    path: 'http.roomCreatePerMin',
    kind: 'int',
    default: '30',
    doc: 'Rooms one client IP may create per minute (`429` beyond; 0 disables; `CHAT_HTTP_RATE=0` disables it too)',
  },
  {
    env: 'CHAT_HTTP_HEADERS_TIMEOUT_MS',
    path: 'http.headersTimeoutMs',
    kind: 'int',
    default: '10000',
    doc: 'A client must send its complete request headers within this, else `408` and the connection is closed (slow-header clients)',
  },
  {
    env: 'CHAT_HTTP_REQUEST_TIMEOUT_MS',
    path: 'http.requestTimeoutMs',
    kind: 'int',
    default: '30000',
    doc: 'A client must send its whole request, body included, within this (at least `CHAT_HTTP_HEADERS_TIMEOUT_MS`)',
  },
  {
    env: 'CHAT_HTTP_KEEP_ALIVE_TIMEOUT_MS',
    path: 'http.keepAliveTimeoutMs',
    kind: 'int',
    default: '5000',
    doc: "An idle keep-alive HTTP connection is closed after this; behind a load balancer that reuses connections, set it above the balancer's idle timeout",
  },
  {
    env: 'CHAT_HTTP_MAX_REQUESTS_PER_SOCKET',
    path: 'http.maxRequestsPerSocket',
    kind: 'int',
    default: '1000',
    doc: 'Requests served on one keep-alive connection before it is closed (0: no limit)',
  },
  {
    env: 'CHAT_HTTP_MAX_IDLE_CONNECTIONS',
    path: 'http.maxIdleConnections',
    kind: 'int',
    default: '1000',
    doc: 'Idle HTTP connections (keep-alive between requests, or open without a request yet) kept open; beyond it the longest-idle one is closed (0: no cap)',
  },
  {
    env: 'CHAT_HTTP_MAX_CONNECTIONS',
    path: 'http.maxConnections',
    kind: 'int',
    default: '0',
    doc: 'Open TCP connections per process, WebSockets included; beyond it new connections are dropped at once (0: no cap beyond the file descriptor limit)',
  },
  {
    env: 'CHAT_AUTH',
    path: 'auth.mode',
    kind: { oneOf: ['open', 'accounts'] },
    default: 'open',
    doc: '`open`: the original API, anyone who can reach the server may post under any name and delete rooms; `accounts`: sign-up and sign-in, sessions, API tokens, room owners and private rooms (see "Accounts mode")',
  },
  {
    env: 'CHAT_SESSION_IDLE_DAYS',
    path: 'auth.sessionIdleDays',
    kind: 'int',
    default: '30',
    doc: 'Accounts mode: a session not used for this many days ends (an open WebSocket counts as use)',
  },
  {
    env: 'CHAT_LOGIN_FREE_ATTEMPTS',
    path: 'auth.loginFreeAttempts',
    kind: 'int',
    default: '5',
    doc: 'Accounts mode: failed logins for one account before each further attempt must wait (1 s, doubling per failure up to `CHAT_LOGIN_MAX_DELAY_S`; `429` with `Retry-After` meanwhile); counted in the store, so every process shares them',
  },
  {
    env: 'CHAT_LOGIN_FREE_ATTEMPTS_PER_IP',
    path: 'auth.loginFreeAttemptsPerIp',
    kind: 'int',
    default: '20',
    doc: 'Accounts mode: the same for failed logins from one client address, whatever the account',
  },
  {
    env: 'CHAT_LOGIN_MAX_DELAY_S',
    path: 'auth.loginMaxDelaySec',
    kind: 'int',
    default: '900',
    doc: "Accounts mode: the longest wait between login attempts after failures; counters are forgotten after four times this without a failure, and a successful login clears its account's",
  },
  {
    env: 'CHAT_METRICS_TOKEN',
    path: 'metrics.token',
    kind: 'string',
    default: '',
    doc: '`/metrics` answers loopback addresses only; with a token set, also any address sending `Authorization: Bearer <token>`',
  },
  {
    env: 'CHAT_STORE',
    path: 'backends.store',
    kind: { oneOf: ['auto', 'sqlite', 'postgres'] },
    default: 'auto',
    doc: 'Where rooms and messages are stored: `sqlite` (the `CHAT_DB_PATH` file) or `postgres` (`DATABASE_URL`); `auto` is `postgres` when `DATABASE_URL` is set',
  },
  {
    env: 'CHAT_BUS',
    path: 'backends.bus',
    kind: { oneOf: ['auto', 'local', 'redis'] },
    default: 'auto',
    doc: 'How events reach other server processes: `local` (one process) or `redis` (`REDIS_URL`); `auto` is `redis` when `REDIS_URL` is set',
  },
  {
    env: 'CHAT_PRESENCE',
    path: 'backends.presence',
    kind: { oneOf: ['auto', 'local', 'redis'] },
    default: 'auto',
    doc: 'Where online lists are kept: `local` (one process) or `redis` (`REDIS_URL`, needs the `redis` bus); `auto` is `redis` when `REDIS_URL` is set',
  },
  {
    env: 'DATABASE_URL',
    path: 'databaseUrl',
    kind: 'string',
    default: '',
    doc: 'PostgreSQL URL, e.g. `postgres://parley@127.0.0.1:5432/parley`; when set, PostgreSQL replaces SQLite (`CHAT_DB_PATH` is ignored)',
  },
  {
    env: 'CHAT_PG_SCHEMA',
    path: 'postgres.schema',
    kind: 'string',
    default: 'public',
    doc: "PostgreSQL schema for Parley's tables, created on first start",
  },
  {
    env: 'CHAT_PG_POOL_SIZE',
    path: 'postgres.poolSize',
    kind: 'int',
    default: '10',
    doc: 'PostgreSQL connections per server process',
  },
  {
    env: 'CHAT_PG_TIMEOUT_MS',
    path: 'postgres.timeoutMs',
    kind: 'int',
    default: '5000',
    doc: 'A PostgreSQL connection attempt or query slower than this fails (sends get `STORE_FAILED`) instead of hanging',
  },
  {
    env: 'REDIS_URL',
    path: 'redisUrl',
    kind: 'string',
    default: '',
    doc: 'Redis URL, e.g. `redis://127.0.0.1:6379`; when set, Redis carries messages, typing, presence and room deletion between server processes',
  },
  {
    env: 'CHAT_REDIS_PREFIX',
    path: 'redis.prefix',
    kind: 'string',
    default: 'parley:',
    doc: 'Prefix of every Redis key and channel, so several deployments can share one Redis',
  },
  {
    env: 'CHAT_PRESENCE_TTL_MS',
    path: 'redis.presenceTtlMs',
    kind: 'int',
    default: '10000',
    doc: "A process that has not refreshed its presence heartbeat for this long is dead: its users leave every room's online list, with leave notices",
  },
  {
    env: 'CHAT_PRESENCE_HEARTBEAT_MS',
    path: 'redis.presenceHeartbeatMs',
    kind: 'int',
    default: '3000',
    doc: "How often each process refreshes its presence heartbeat and sweeps dead processes; a dead process's users are gone everywhere within TTL + this",
  },
  {
    env: 'CHAT_CLUSTER_WORKERS',
    path: 'cluster.workers',
    kind: 'int',
    default: '1',
    doc: 'Server processes started by `npm start` and `npm run start:cluster` (more than one needs `DATABASE_URL` and `REDIS_URL`)',
  },
  {
    env: 'CHAT_CLUSTER_PORTS',
    path: 'cluster.ports',
    kind: { oneOf: ['shared', 'spread'] },
    default: 'shared',
    doc: 'The supervisor (`npm start`, `start:cluster`) only. `shared`: every worker listens on `PORT` (node:cluster balances connections); `spread`: worker i listens on `PORT`+i (for a load balancer such as nginx)',
  },
];

function parseValue(opt: Option, raw: string): { value?: unknown; problem?: string } {
  const kind = opt.kind;
  if (kind === 'string') return { value: raw };
  if (kind === 'list') {
    return {
      value: raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    };
  }
  if (kind === 'bool') {
    if (raw !== 'true' && raw !== 'false')
      return { problem: `${opt.env} must be true or false, got "${raw}"` };
    return { value: raw === 'true' };
  }
  if (kind === 'int') {
    if (!/^\d+$/.test(raw.trim()))
      return { problem: `${opt.env} must be a whole number, got "${raw}"` };
    return { value: Number(raw.trim()) };
  }
  if (!kind.oneOf.includes(raw)) {
    return { problem: `${opt.env} must be one of ${kind.oneOf.join(', ')}, got "${raw}"` };
  }
  return { value: raw };
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

/**
 * Builds the config from an environment (process.env in main.ts, a plain object
 * in tests). Throws ConfigError listing every bad variable.
 */
export function loadConfig(env: Record<string, string | undefined> = {}): Config {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const opt of CONFIG_TABLE) {
    const raw = env[opt.env];
    const { value, problem } = parseValue(opt, raw === undefined || raw === '' ? opt.default : raw);
    if (problem) problems.push(problem);
    else setPath(out, opt.path, value);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  resolveBackends(out);
  if (!Value.Check(ConfigSchema, out)) {
    // Every option parses into its type, so only a bound can fail here.
    throw new ConfigError(
      [...Value.Errors(ConfigSchema, out)].map((e) => `${envName(e.path)}: ${e.message}`),
    );
  }
  const cfg = out;
  if (cfg.limits.maxFrameBytes < 1024) problems.push('CHAT_MAX_FRAME_BYTES must be at least 1024');
  if (cfg.uploads.sweepMs < 10) problems.push('CHAT_UPLOAD_SWEEP_MS must be at least 10');
  if (cfg.backends.blobs === 'postgres' && cfg.databaseUrl === '') {
    problems.push('CHAT_BLOB_STORE=postgres needs DATABASE_URL');
  }
  problems.push(...httpProblems(cfg), ...scaleOutProblems(cfg));
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}

/** `auto` backends follow today's rule: a service is used when its URL is set. */
function resolveBackends(out: Record<string, unknown>): void {
  const backends = out.backends as Record<string, unknown>;
  if (backends.store === 'auto') backends.store = out.databaseUrl === '' ? 'sqlite' : 'postgres';
  if (backends.bus === 'auto') backends.bus = out.redisUrl === '' ? 'local' : 'redis';
  if (backends.presence === 'auto') backends.presence = out.redisUrl === '' ? 'local' : 'redis';
  if (backends.blobs === 'auto') backends.blobs = backends.store === 'postgres' ? 'postgres' : 'fs';
}

/** The environment variable behind a schema path such as `/limits/maxFrameBytes`. */
function envName(schemaPath: string): string {
  const path = schemaPath.slice(1).replaceAll('/', '.');
  return CONFIG_TABLE.find((opt) => opt.path === path)?.env ?? path;
}

/** Checks the HTTP timeouts together (Node refuses a headers timeout above the request timeout). */
function httpProblems(cfg: Config): string[] {
  const problems: string[] = [];
  if (cfg.http.headersTimeoutMs < 100)
    problems.push('CHAT_HTTP_HEADERS_TIMEOUT_MS must be at least 100');
  if (cfg.http.requestTimeoutMs < cfg.http.headersTimeoutMs) {
    problems.push('CHAT_HTTP_REQUEST_TIMEOUT_MS must be at least CHAT_HTTP_HEADERS_TIMEOUT_MS');
  }
  if (cfg.http.keepAliveTimeoutMs < 1)
    problems.push('CHAT_HTTP_KEEP_ALIVE_TIMEOUT_MS must be at least 1');
  return problems;
}

/** Checks the PostgreSQL, Redis and cluster options together. */
function scaleOutProblems(cfg: Config): string[] {
  const problems: string[] = [];
  const { store, bus, presence } = cfg.backends;
  if (store === 'postgres' && cfg.databaseUrl === '') {
    problems.push('CHAT_STORE=postgres needs DATABASE_URL');
  }
  if ((bus === 'redis' || presence === 'redis') && cfg.redisUrl === '') {
    problems.push('CHAT_BUS=redis and CHAT_PRESENCE=redis need REDIS_URL');
  }
  if (presence === 'redis' && bus !== 'redis') {
    // Users of a dead process leave through bus events: a local bus would tell only this process.
    problems.push('CHAT_PRESENCE=redis needs CHAT_BUS=redis');
  }
  if (cfg.databaseUrl !== '' && !/^postgres(ql)?:\/\//.test(cfg.databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// or postgresql://');
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(cfg.postgres.schema)) {
    problems.push('CHAT_PG_SCHEMA must be a plain SQL identifier (letters, digits, _)');
  }
  if (cfg.postgres.poolSize < 1) problems.push('CHAT_PG_POOL_SIZE must be at least 1');
  if (cfg.postgres.timeoutMs < 100) problems.push('CHAT_PG_TIMEOUT_MS must be at least 100');
  if (cfg.redisUrl !== '' && !/^rediss?:\/\//.test(cfg.redisUrl)) {
    problems.push('REDIS_URL must start with redis:// or rediss://');
  }
  if (cfg.redis.presenceHeartbeatMs < 50) {
    problems.push('CHAT_PRESENCE_HEARTBEAT_MS must be at least 50');
  }
  if (cfg.redis.presenceTtlMs < 2 * cfg.redis.presenceHeartbeatMs) {
    problems.push('CHAT_PRESENCE_TTL_MS must be at least twice CHAT_PRESENCE_HEARTBEAT_MS');
  }
  if (cfg.cluster.workers < 1) problems.push('CHAT_CLUSTER_WORKERS must be at least 1');
  return problems;
}

/**
 * Config for tests and embedding: defaults, an in-memory database, overrides on
 * top. Backends not named in `overrides` follow the URLs, like `auto`.
 */
export function testConfig(overrides: DeepPartial<Config> = {}): Config {
  const base = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    CHAT_DB_PATH: ':memory:',
    CHAT_LOG_LEVEL: 'silent',
  });
  const config = merge(base, overrides);
  const redis = config.redisUrl === '' ? 'local' : 'redis';
  const store = overrides.backends?.store ?? (config.databaseUrl === '' ? 'sqlite' : 'postgres');
  config.backends = {
    store,
    bus: redis,
    presence: redis,
    blobs: store === 'postgres' ? 'postgres' : 'fs',
    ...overrides.backends,
  };
  return config;
}

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

function merge<T>(base: T, over: DeepPartial<T>): T {
  const result = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(over as Record<string, unknown>)) {
    const current = result[key];
    result[key] =
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current &&
      typeof current === 'object'
        ? merge(current, value as DeepPartial<typeof current>)
        : value;
  }
  return result as T;
}
