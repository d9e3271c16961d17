// The one place that reads process.env. Every option is listed in CONFIG_TABLE
// with its default and documentation; a test keeps the README table in step.
import { DEFAULT_LIMITS } from '../protocol/limits.js';
import { ConfigError } from './errors.js';

export interface Config {
  host: string;
  port: number;
  /** SQLite database file; `:memory:` for a throwaway database. */
  dbPath: string;
  /** SQLite `synchronous` in WAL mode: `normal` survives a process crash, `full` also power loss. */
  sqliteSync: 'normal' | 'full';
  logLevel: string;
  /** Serve the web client from this folder. */
  publicDir: string;
  limits: {
    maxContentLength: number;
    maxUsernameLength: number;
    maxRoomNameLength: number;
    maxHistoryLimit: number;
    maxClientIdLength: number;
    /** Largest WebSocket frame in bytes; larger ones close the connection with 1009. */
    maxFrameBytes: number;
    /** Largest HTTP request body in bytes. */
    maxBodyBytes: number;
    /** Most messages replayed on resume before the server asks the client to resync. */
    replayLimit: number;
  };
  ws: {
    /** Token bucket per connection: frames per second, and burst size. 0 disables. */
    ratePerSec: number;
    rateBurst: number;
    /** Rate-limited frames within one refill window after which the connection is closed. */
    rateStrikes: number;
    /** A connection whose unsent data exceeds this many bytes is dropped (slow consumer). */
    slowConsumerBytes: number;
    /** Ping interval; a peer that misses one pong is dropped. */
    heartbeatMs: number;
    /** Open WebSocket connections per client IP address. 0 disables. */
    maxConnectionsPerIp: number;
    /** Extra origins allowed to open WebSockets (the server's own origin and localhost always are). `*` allows any. */
    allowedOrigins: string[];
  };
  http: {
    /** Take the client address from X-Forwarded-For (only behind a trusted proxy). */
    trustProxy: boolean;
    /** Token bucket per client IP for the REST API. 0 disables. */
    ratePerSec: number;
    rateBurst: number;
  };
  /** PostgreSQL URL (`postgres://user@host:5432/db`); when set, PostgreSQL replaces SQLite. */
  databaseUrl: string;
  postgres: {
    /** Schema holding Parley's tables; created on first start. */
    schema: string;
    /** Connections per process. */
    poolSize: number;
    /** A connection attempt or query slower than this fails (`STORE_FAILED`) instead of hanging. */
    timeoutMs: number;
  };
  /** Redis URL (`redis://host:6379`); when set, Redis carries events and presence between processes. */
  redisUrl: string;
  redis: {
    /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
    prefix: string;
    /** A process whose presence heartbeat is older than this is dead: its users leave everywhere. */
    presenceTtlMs: number;
    /** How often a process refreshes its heartbeat and sweeps dead processes. */
    presenceHeartbeatMs: number;
  };
  /** The supervisor (src/server/cluster.ts: `npm start`, `npm run start:cluster`) only. */
  cluster: {
    workers: number;
    /** `shared`: every worker on PORT (node:cluster balances); `spread`: worker i on PORT+i. */
    ports: 'shared' | 'spread';
  };
}

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
    doc: 'Frames per second per connection (token bucket refill; 0 disables)',
  },
  {
    env: 'CHAT_WS_BURST',
    path: 'ws.rateBurst',
    kind: 'int',
    default: '40',
    doc: 'Token bucket size per connection',
  },
  {
    env: 'CHAT_WS_RATE_STRIKES',
    path: 'ws.rateStrikes',
    kind: 'int',
    default: '50',
    doc: 'Rate-limited frames (answered with `RATE_LIMITED` errors) after which the connection is closed with 4129; each accepted frame takes one strike off',
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
    doc: 'REST requests per second per client IP (0 disables)',
  },
  {
    env: 'CHAT_HTTP_BURST',
    path: 'http.rateBurst',
    kind: 'int',
    default: '200',
    doc: 'REST token bucket size per client IP',
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
  const cfg = out as unknown as Config;
  if (problems.length === 0 && cfg.port > 65535) problems.push(`PORT must be at most 65535`);
  if (problems.length === 0 && cfg.limits.maxFrameBytes < 1024) {
    problems.push('CHAT_MAX_FRAME_BYTES must be at least 1024');
  }
  if (problems.length === 0) problems.push(...scaleOutProblems(cfg));
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}

/** Checks the PostgreSQL, Redis and cluster options together. */
function scaleOutProblems(cfg: Config): string[] {
  const problems: string[] = [];
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

/** Config for tests and embedding: defaults, an in-memory database, overrides on top. */
export function testConfig(overrides: DeepPartial<Config> = {}): Config {
  const base = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    CHAT_DB_PATH: ':memory:',
    CHAT_LOG_LEVEL: 'silent',
  });
  return merge(base, overrides);
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
