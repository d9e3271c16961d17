import { createRedisClient, quitRedis, type Redis } from '../redis/redis-client.js';
import type { Logger } from '../util/logger.js';
import type {
  Presence,
  PresenceChange,
  PresenceList,
  PresenceRepair,
  RepairListener,
} from './presence.js';
import { HEARTBEAT, JOIN, LEAVE, LIST, RESYNC } from './redis-presence-scripts.js';

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

type RoomChange = [room: string, gone: string[], users: string[]];

const NOBODY: PresenceList = { users: [], version: 0 };

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
  private readonly known = new Map<string, PresenceList>();
  private timer: NodeJS.Timeout | undefined;
  /** Redis may disagree with `local`; repaired by the next resync. */
  private dirty = false;
  private registered = false;
  private everReady = false;
  private closed = false;
  private resyncing: Promise<void> | null = null;
  private resyncAgain = false;
  /**
   * Re-announce every list once more on the next heartbeat after a resync: a list
   * announced while another process's subscriptions were still coming back was
   * lost for its members, and its own re-read may have been older.
   */
  private relistNext = false;
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

  private remember(roomId: string, list: PresenceList): void {
    if (this.local.has(roomId)) this.known.set(roomId, list);
  }

  async join(roomId: string, username: string): Promise<PresenceChange> {
    // Counted before the script is sent, in the same tick: a resync snapshot taken
    // around it then agrees with the order in which Redis applies the two.
    this.count(roomId, username, 1);
    try {
      const [change, missing, users, version] = await this.run<[number, number, string[], number]>(
        JOIN,
        [this.prefix, this.opts.nodeId, this.ttlMs, roomId, username],
      );
      this.remember(roomId, { users, version });
      // Swept as dead (or Redis lost its data): put back every other connection too.
      if (missing === 1 && this.registered) this.resync();
      return { changed: change === 1, users, version };
    } catch (error) {
      this.report('join', error);
      this.dirty = true;
      // Answered from memory with the version last seen: nothing newer can be told apart.
      const before = this.known.get(roomId) ?? NOBODY;
      const changed = !before.users.includes(username);
      const list = changed ? { ...before, users: [...before.users, username] } : before;
      this.remember(roomId, list);
      return { changed, ...list };
    }
  }

  async leave(roomId: string, username: string): Promise<PresenceChange> {
    if (!this.count(roomId, username, -1)) {
      return { changed: false, ...(this.known.get(roomId) ?? NOBODY) };
    }
    try {
      const [change, users, version] = await this.run<[number, string[], number]>(LEAVE, [
        this.prefix,
        this.opts.nodeId,
        roomId,
        username,
      ]);
      this.remember(roomId, { users, version });
      return { changed: change === -1, users, version };
    } catch (error) {
      this.report('leave', error);
      this.dirty = true;
      const before = this.known.get(roomId) ?? NOBODY;
      const gone = !this.local.get(roomId)?.has(username) && before.users.includes(username);
      const list = gone ? { ...before, users: before.users.filter((u) => u !== username) } : before;
      this.remember(roomId, list);
      return { changed: gone, ...list };
    }
  }

  async list(roomId: string): Promise<PresenceList> {
    try {
      const [users, version] = await this.run<[string[], number]>(LIST, [this.prefix, roomId]);
      this.remember(roomId, { users, version });
      return { users, version };
    } catch (error) {
      this.report('list', error);
      return (
        this.known.get(roomId) ?? { users: [...(this.local.get(roomId)?.keys() ?? [])], version: 0 }
      );
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
    let version: number;
    try {
      [missing, changes, version] = await this.run<[number, RoomChange[], number]>(HEARTBEAT, [
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
    await this.announce(changes, version, false);
    if (this.relistNext && !this.resyncing && !this.dirty) {
      this.relistNext = false;
      await this.relistAll();
    }
  }

  /** Announces the current list of every room with local users. */
  private async relistAll(): Promise<void> {
    const repairs: PresenceRepair[] = [];
    for (const roomId of this.local.keys()) {
      try {
        const [users, version] = await this.run<[string[], number]>(LIST, [this.prefix, roomId]);
        this.remember(roomId, { users, version });
        repairs.push({ roomId, gone: [], users, version, relist: true });
      } catch (error) {
        this.report('relist', error);
        this.relistNext = true;
        return;
      }
    }
    await this.repair(repairs);
  }

  /**
   * Hands users who are gone (and after a resync, every list) to the repair
   * listener; `version` is that of every list in `changes` (one script's answer).
   */
  private async announce(changes: RoomChange[], version: number, relist: boolean): Promise<void> {
    const repairs: PresenceRepair[] = [];
    for (const [roomId, gone, users] of changes) {
      this.remember(roomId, { users, version });
      if (gone.length > 0 || relist) repairs.push({ roomId, gone, users, version, relist });
    }
    await this.repair(repairs);
  }

  private async repair(repairs: PresenceRepair[]): Promise<void> {
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
          const [changes, version] = await this.run<[RoomChange[], number]>(
            RESYNC,
            this.resyncArgs(this.ttlMs),
          );
          await this.announce(changes, version, true);
          this.relistNext = true;
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
      const [changes, version] = await this.run<[RoomChange[], number]>(RESYNC, this.resyncArgs(0));
      await this.announce(changes, version, false);
    } catch (error) {
      this.report('close', error);
    }
    this.known.clear();
    await quitRedis(this.redis);
  }
}
