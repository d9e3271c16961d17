import { createRedisClient, quitRedis, type Redis } from '../redis/redis-client.js';
import type { Logger } from '../util/logger.js';
import type { Presence, PresenceChange, PresenceRepair, RepairListener } from './presence.js';

export interface RedisPresenceOptions {
  url: string;
  /** Prefix of every key. @default 'parley:' */
  prefix?: string;
  nodeId: string;
  /** A process whose heartbeat is older than this is dead. @default 10_000 */
  ttlMs?: number;
  /** Heartbeat and sweep interval. @default 3_000 */
  heartbeatMs?: number;
  /**
   * Resolves once repairs can be announced both ways (the bus is up). A rebuilt
   * list announced while the bus is down would be lost; the resync waits for it.
   */
  announceReady?: () => Promise<void>;
  log?: Logger;
  onError?: (operation: string, error: unknown) => void;
}

/*
 * Keys (P = prefix):
 *   P presence:nodes             zset  process id -> heartbeat deadline (Redis clock, ms)
 *   P presence:node:<id>         hash  "<room>\n<user>" -> that process's connections
 *   P presence:room:<room>:users zset  user -> join order (the online list, in join order)
 *   P presence:room:<room>:counts hash user -> connections over all processes
 *   P presence:clock             counter for join order
 * Each change is one Lua script, so processes never see half an update. Room
 * keys are derived inside the scripts: standalone Redis (or Sentinel), not Cluster.
 */
const LUA_PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function split(field)
  local i = string.find(field, '\\n[^\\n]*$')
  return string.sub(field, 1, i - 1), string.sub(field, i + 1)
end
local function users_key(p, room) return p .. 'presence:room:' .. room .. ':users' end
local function counts_key(p, room) return p .. 'presence:room:' .. room .. ':counts' end
-- Adds delta connections to a user's total: 1 if the user appeared, -1 if gone, else 0.
local function adjust(p, room, user, delta)
  local total = redis.call('HINCRBY', counts_key(p, room), user, delta)
  if total <= 0 then
    redis.call('HDEL', counts_key(p, room), user)
    if redis.call('ZREM', users_key(p, room), user) == 1 then return -1 end
    return 0
  end
  if total == delta then
    redis.call('ZADD', users_key(p, room), redis.call('INCR', p .. 'presence:clock'), user)
    return 1
  end
  return 0
end
-- Applies per-field deltas; per touched room: {room, {users gone}, {users now}}.
local function apply(p, order, delta)
  local rooms, gone = {}, {}
  for _, f in ipairs(order) do
    local room, user = split(f)
    if gone[room] == nil then gone[room] = {}; table.insert(rooms, room) end
    if delta[f] ~= 0 and adjust(p, room, user, delta[f]) == -1 then
      table.insert(gone[room], user)
    end
  end
  local out = {}
  for _, room in ipairs(rooms) do
    table.insert(out, {room, gone[room], redis.call('ZRANGE', users_key(p, room), 0, -1)})
  end
  return out
end
`;

/** ARGV: prefix, node, ttl, room, user -> {change, nodeWasMissing, users} */
const JOIN = `${LUA_PRELUDE}
local p, node, room, user = ARGV[1], ARGV[2], ARGV[4], ARGV[5]
local missing = redis.call('ZADD', p .. 'presence:nodes', now_ms() + tonumber(ARGV[3]), node)
redis.call('HINCRBY', p .. 'presence:node:' .. node, room .. '\\n' .. user, 1)
local change = adjust(p, room, user, 1)
return {change, missing, redis.call('ZRANGE', users_key(p, room), 0, -1)}
`;

/** ARGV: prefix, node, room, user -> {change, users} */
const LEAVE = `${LUA_PRELUDE}
local p, node, room, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local key, field = p .. 'presence:node:' .. node, room .. '\\n' .. user
local mine = tonumber(redis.call('HGET', key, field) or '0')
local change = 0
if mine > 0 then
  if mine == 1 then redis.call('HDEL', key, field) else redis.call('HINCRBY', key, field, -1) end
  change = adjust(p, room, user, -1)
end
return {change, redis.call('ZRANGE', users_key(p, room), 0, -1)}
`;

/**
 * Refreshes this process's heartbeat and removes processes whose heartbeat expired.
 * ARGV: prefix, node, ttl -> {nodeWasMissing, changes}
 */
const HEARTBEAT = `${LUA_PRELUDE}
local p, node = ARGV[1], ARGV[2]
local nodes, now = p .. 'presence:nodes', now_ms()
local missing = redis.call('ZADD', nodes, now + tonumber(ARGV[3]), node)
local order, delta = {}, {}
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', nodes, '-inf', now, 'LIMIT', 0, 16)) do
  local key = p .. 'presence:node:' .. dead
  local entries = redis.call('HGETALL', key)
  for i = 1, #entries, 2 do
    local f = entries[i]
    if delta[f] == nil then delta[f] = 0; table.insert(order, f) end
    delta[f] = delta[f] - tonumber(entries[i + 1])
  end
  redis.call('DEL', key)
  redis.call('ZREM', nodes, dead)
end
return {missing, apply(p, order, delta)}
`;

/**
 * Makes Redis agree with this process's own connections (after Redis lost data,
 * missed updates, or swept this process as dead). With no entries and a 0 ttl
 * it withdraws the process. ARGV: prefix, node, ttl, then room, user, count… -> changes
 */
const RESYNC = `${LUA_PRELUDE}
local p, node, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local key = p .. 'presence:node:' .. node
if ttl > 0 then
  redis.call('ZADD', p .. 'presence:nodes', now_ms() + ttl, node)
else
  redis.call('ZREM', p .. 'presence:nodes', node)
end
local order, delta = {}, {}
local current = redis.call('HGETALL', key)
for i = 1, #current, 2 do
  delta[current[i]] = -tonumber(current[i + 1]); table.insert(order, current[i])
end
redis.call('DEL', key)
for i = 4, #ARGV, 3 do
  local f = ARGV[i] .. '\\n' .. ARGV[i + 1]
  if delta[f] == nil then delta[f] = 0; table.insert(order, f) end
  delta[f] = delta[f] + tonumber(ARGV[i + 2])
  redis.call('HSET', key, f, ARGV[i + 2])
end
return apply(p, order, delta)
`;

type RoomChange = [room: string, gone: string[], users: string[]];

/**
 * Presence shared by every server process through Redis. Each process keeps
 * its own connections in memory (the truth about itself) and mirrors them into
 * Redis; a heartbeat marks it alive. A process that stops heartbeating (kill -9)
 * is swept by the others: its users leave every room's list, with leave
 * notices, within ttlMs + heartbeatMs. While Redis is unreachable, changes are
 * answered from memory and Redis is repaired when it is back.
 */
export class RedisPresence implements Presence {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly heartbeatMs: number;
  /** room -> user -> this process's connections. */
  private readonly local = new Map<string, Map<string, number>>();
  /** room -> the online list as last seen in Redis (answers while Redis is down). */
  private readonly known = new Map<string, string[]>();
  private timer: NodeJS.Timeout | undefined;
  /** Redis may disagree with `local`; repaired by the next resync. */
  private dirty = false;
  private registered = false;
  private everReady = false;
  private closed = false;
  private resyncing: Promise<void> | null = null;
  private resyncAgain = false;
  private repairListener: RepairListener | null = null;

  constructor(private readonly opts: RedisPresenceOptions) {
    this.prefix = opts.prefix ?? 'parley:';
    this.ttlMs = opts.ttlMs ?? 10_000;
    this.heartbeatMs = opts.heartbeatMs ?? 3_000;
    this.redis = createRedisClient(opts.url, `parley-presence-${opts.nodeId}`);
    this.redis.on('error', (error: Error) => this.report('connection', error));
    this.redis.on('ready', () => {
      // Back after an outage: Redis may have lost everything (a restart keeps nothing).
      if (this.everReady) this.resync();
      this.everReady = true;
    });
  }

  private report(operation: string, error: unknown): void {
    this.opts.onError?.(operation, error);
    this.opts.log?.debug({ err: error, operation }, 'redis presence error');
  }

  private run<T>(script: string, args: (string | number)[]): Promise<T> {
    // Plain EVAL, not EVALSHA: a NOSCRIPT retry after a Redis restart could
    // reorder a join and a resync, and order is what keeps the counts right.
    return this.redis.eval(script, 0, ...args) as Promise<T>;
  }

  async init(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (error) {
      this.report('connect', error);
      this.opts.log?.error({ err: error }, 'redis unreachable at start; presence stays local');
    }
    await this.heartbeat();
    this.timer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    // prevents the timer from keeping the process alive
    this.timer.unref();
  }

  /** Counts a connection in `local`; false when there was none to remove. */
  private count(roomId: string, username: string, delta: 1 | -1): boolean {
    let members = this.local.get(roomId);
    const current = members?.get(username) ?? 0;
    if (delta < 0 && current === 0) return false;
    if (!members) {
      members = new Map();
      this.local.set(roomId, members);
    }
    if (current + delta > 0) members.set(username, current + delta);
    else members.delete(username);
    if (members.size === 0) {
      this.local.delete(roomId);
      this.known.delete(roomId);
    }
    return true;
  }

  private remember(roomId: string, users: string[]): void {
    if (this.local.has(roomId)) this.known.set(roomId, users);
  }

  async join(roomId: string, username: string): Promise<PresenceChange> {
    // Counted before the script is sent, in the same tick: a resync snapshot taken
    // around it then agrees with the order in which Redis applies the two.
    this.count(roomId, username, 1);
    try {
      const [change, missing, users] = await this.run<[number, number, string[]]>(JOIN, [
        this.prefix,
        this.opts.nodeId,
        this.ttlMs,
        roomId,
        username,
      ]);
      this.remember(roomId, users);
      // Swept as dead (or Redis lost its data): put back every other connection too.
      if (missing === 1 && this.registered) this.resync();
      return { changed: change === 1, users };
    } catch (error) {
      this.report('join', error);
      this.dirty = true;
      const before = this.known.get(roomId) ?? [];
      const changed = !before.includes(username);
      const users = changed ? [...before, username] : before;
      this.remember(roomId, users);
      return { changed, users };
    }
  }

  async leave(roomId: string, username: string): Promise<PresenceChange> {
    if (!this.count(roomId, username, -1)) {
      return { changed: false, users: this.known.get(roomId) ?? [] };
    }
    try {
      const [change, users] = await this.run<[number, string[]]>(LEAVE, [
        this.prefix,
        this.opts.nodeId,
        roomId,
        username,
      ]);
      this.remember(roomId, users);
      return { changed: change === -1, users };
    } catch (error) {
      this.report('leave', error);
      this.dirty = true;
      const before = this.known.get(roomId) ?? [];
      const gone = !this.local.get(roomId)?.has(username) && before.includes(username);
      const users = gone ? before.filter((u) => u !== username) : before;
      this.remember(roomId, users);
      return { changed: gone, users };
    }
  }

  async users(roomId: string): Promise<string[]> {
    try {
      const users = await this.redis.zrange(`${this.prefix}presence:room:${roomId}:users`, 0, -1);
      this.remember(roomId, users);
      return users;
    } catch (error) {
      this.report('users', error);
      return this.known.get(roomId) ?? [...(this.local.get(roomId)?.keys() ?? [])];
    }
  }

  onRepair(listener: RepairListener): void {
    this.repairListener = listener;
  }

  roomCount(): number {
    return this.local.size;
  }

  /** Refreshes this process's heartbeat and sweeps dead processes. */
  private async heartbeat(): Promise<void> {
    if (this.closed) return;
    let missing: number;
    let changes: RoomChange[];
    try {
      [missing, changes] = await this.run<[number, RoomChange[]]>(HEARTBEAT, [
        this.prefix,
        this.opts.nodeId,
        this.ttlMs,
      ]);
    } catch (error) {
      this.report('heartbeat', error);
      return;
    }
    // Missing after the first beat: swept as dead, or Redis lost its data.
    if (this.dirty || (missing === 1 && (this.registered || this.local.size > 0))) this.resync();
    this.registered = true;
    if (changes.length > 0) {
      const gone = changes.reduce((n, [, users]) => n + users.length, 0);
      this.opts.log?.info({ rooms: changes.length, users: gone }, 'swept users of dead processes');
    }
    await this.announce(changes, false);
  }

  /** Hands users who are gone (and after a resync, every list) to the repair listener. */
  private async announce(changes: RoomChange[], relist: boolean): Promise<void> {
    const repairs: PresenceRepair[] = [];
    for (const [roomId, gone, users] of changes) {
      this.remember(roomId, users);
      if (gone.length > 0 || relist) repairs.push({ roomId, gone, users, relist });
    }
    if (repairs.length === 0 || !this.repairListener) return;
    await this.repairListener(repairs).catch((error: unknown) => this.report('announce', error));
  }

  /** Makes Redis agree with `local`; one at a time, repeated if asked again meanwhile. */
  private resync(): void {
    if (this.closed) return;
    if (this.resyncing) {
      this.resyncAgain = true;
      return;
    }
    this.resyncing = (async () => {
      do {
        this.resyncAgain = false;
        this.dirty = false;
        try {
          // The lists are announced on the bus: wait until it carries them both
          // ways, or they would be lost (retried on the next heartbeat). With every
          // process doing so, the last one to resync announces the complete list.
          await this.opts.announceReady?.();
          // Every room of this process is in the answer and is relisted, changed or
          // not: another process may have announced a partial list while Redis refilled.
          const changes = await this.run<RoomChange[]>(RESYNC, this.resyncArgs(this.ttlMs));
          await this.announce(changes, true);
        } catch (error) {
          this.report('resync', error);
          this.dirty = true;
        }
      } while (this.resyncAgain && !this.closed);
    })().finally(() => {
      this.resyncing = null;
    });
  }

  private resyncArgs(ttl: number): (string | number)[] {
    const args: (string | number)[] = [this.prefix, this.opts.nodeId, ttl];
    for (const [roomId, members] of this.local) {
      for (const [username, count] of members) args.push(roomId, username, count);
    }
    return args;
  }

  /** Withdraws this process: its remaining users leave, with notices, at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.resyncing;
    this.local.clear();
    try {
      const changes = await this.run<RoomChange[]>(RESYNC, this.resyncArgs(0));
      await this.announce(changes, false);
    } catch (error) {
      this.report('close', error);
    }
    this.known.clear();
    await quitRedis(this.redis);
  }
}
