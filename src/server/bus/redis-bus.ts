import { createRedisClient, quitRedis, type Redis } from '../redis/redis-client.js';
import type { Logger } from '../util/logger.js';
import { type BusEvent, isBusEvent } from './bus-events.js';
import type { BusHandler, MessageBus, Unsubscribe } from './message-bus.js';

export interface RedisBusOptions {
  url: string;
  /** Prefix of every channel. @default 'parley:' */
  prefix?: string;
  /** This process; its own events come back from Redis and are dropped. */
  nodeId: string;
  log?: Logger;
  /** Told about every transport failure (metrics); the bus itself carries on. */
  onError?: (operation: string, error: unknown) => void;
}

/** What travels on a channel: versioned, tagged with the publishing process. */
interface Envelope {
  v: 1;
  origin: string;
  event: BusEvent;
}

interface Topic {
  handlers: Set<BusHandler>;
  subscribed: Promise<void>;
}

/**
 * Fans events out between server processes over Redis pub/sub, one channel
 * per room. Own events are delivered to local subscribers at once (one process
 * stays fast and ordered) and their echoes from Redis are dropped. Redis keeps
 * nothing: while it is unreachable, events are lost, and after every reconnect
 * subscribers are told (`onReconnect`) to catch up from the store.
 */
export class RedisBus implements MessageBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly prefix: string;
  private readonly topics = new Map<string, Topic>();
  private readonly reconnectListeners = new Set<() => void>();
  /** Per room, the newest log entry (message or change) that could not be published; re-sent once Redis is back. */
  private readonly unsent = new Map<string, BusEvent>();
  private readonly down = new Set<'pub' | 'sub'>();
  /**
   * How every envelope this process publishes begins: JSON.stringify writes keys in
   * the order given, so its own echoes are told apart by this prefix and dropped
   * without being parsed (with two processes, half of what a busy one hears).
   */
  private readonly ownPrefix: string;
  /** The subscriber is connected and every subscription is restored. */
  private live = false;
  private closed = false;

  constructor(private readonly opts: RedisBusOptions) {
    this.prefix = opts.prefix ?? 'parley:';
    this.ownPrefix = `{"v":1,"origin":${JSON.stringify(opts.nodeId)},`;
    // A group commit publishes its whole batch in one tick: auto-pipelining sends
    // those PUBLISHes in one write, in order, instead of a socket write each.
    this.pub = createRedisClient(opts.url, `parley-pub-${opts.nodeId}`, {
      enableAutoPipelining: true,
    });
    this.sub = createRedisClient(opts.url, `parley-sub-${opts.nodeId}`);
    this.sub.on('message', (channel: string, payload: string) => this.receive(channel, payload));
    this.sub.on('ready', () => void this.onSubReady());
    this.pub.on('ready', () => this.onPubReady());
    for (const [name, client] of [
      ['pub', this.pub],
      ['sub', this.sub],
    ] as const) {
      client.on('error', (error: Error) => this.report(`${name} connection`, error));
      client.on('close', () => {
        if (name === 'sub') this.live = false;
        if (this.closed || this.down.has(name)) return;
        this.down.add(name);
        this.opts.log?.warn({ connection: name }, 'redis connection lost; reconnecting');
      });
    }
  }

  private channel(roomId: string): string {
    return `${this.prefix}room:${roomId}`;
  }

  private report(operation: string, error: unknown): void {
    this.opts.onError?.(operation, error);
    this.opts.log?.debug({ err: error, operation }, 'redis bus error');
  }

  /** Connects both clients. Redis being down is not fatal: the clients keep retrying. */
  async init(): Promise<void> {
    const connect = (client: Redis) =>
      client.connect().catch((error: unknown) => {
        this.report('connect', error);
        this.opts.log?.error(
          { err: error },
          'redis unreachable at start; events stay local until it is back',
        );
      });
    await Promise.all([connect(this.pub), connect(this.sub)]);
  }

  async publish(event: BusEvent): Promise<void> {
    this.deliver(event);
    if (this.closed) return;
    try {
      await this.pub.publish(this.channel(event.roomId), this.encode(event));
      // A later message lets receivers notice and fill any gap before it.
      if (event.type === 'message' || event.type === 'change') this.unsent.delete(event.roomId);
    } catch (error) {
      this.report('publish', error);
      // Other processes would not notice the loss until the room's next message;
      // the newest one is sent again on reconnect, and they fill the gap from the store.
      if (event.type === 'message' || event.type === 'change') this.unsent.set(event.roomId, event);
    }
  }

  subscribe(roomId: string, handler: BusHandler): Unsubscribe {
    let topic = this.topics.get(roomId);
    if (!topic) {
      topic = { handlers: new Set(), subscribed: this.listen([roomId]) };
      this.topics.set(roomId, topic);
    }
    const own = topic;
    own.handlers.add(handler);
    return () => {
      own.handlers.delete(handler);
      if (own.handlers.size > 0 || this.topics.get(roomId) !== own) return;
      this.topics.delete(roomId);
      if (this.closed || this.sub.status !== 'ready') return;
      this.sub.unsubscribe(this.channel(roomId)).catch((error: unknown) => {
        this.report('unsubscribe', error);
      });
    };
  }

  subscribed(roomId: string): Promise<void> {
    return this.topics.get(roomId)?.subscribed ?? Promise.resolve();
  }

  onReconnect(listener: () => void): Unsubscribe {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** SUBSCRIBEs; resolves (never rejects) once confirmed or failed. */
  private async listen(roomIds: string[]): Promise<void> {
    if (roomIds.length === 0 || this.sub.status !== 'ready') return;
    try {
      await this.sub.subscribe(...roomIds.map((id) => this.channel(id)));
    } catch (error) {
      // Restored, with a catch-up, when the connection is ready again.
      this.report('subscribe', error);
    }
  }

  private async onSubReady(): Promise<void> {
    if (this.closed) return;
    const wasDown = this.down.delete('sub');
    if (wasDown) this.opts.log?.info({ connection: 'sub' }, 'redis connection back');
    if (this.topics.size === 0) {
      this.live = this.sub.status === 'ready';
      return;
    }
    // Every subscription was lost with the connection (or never made, if Redis
    // was down at start): restore them, then let subscribers catch up.
    await this.listen([...this.topics.keys()]);
    this.live = this.sub.status === 'ready';
    for (const listener of this.reconnectListeners) {
      try {
        listener();
      } catch (error) {
        this.opts.log?.error({ err: error }, 'reconnect listener failed');
      }
    }
  }

  private onPubReady(): void {
    if (this.closed) return;
    if (this.down.delete('pub')) {
      this.opts.log?.info({ connection: 'pub' }, 'redis connection back');
    }
    const resend = [...this.unsent.values()];
    this.unsent.clear();
    for (const event of resend) {
      this.pub.publish(this.channel(event.roomId), this.encode(event)).catch((error) => {
        this.report('publish', error);
        this.unsent.set(event.roomId, event);
      });
    }
  }

  /** `JSON.stringify({ v: 1, origin, event })`, byte for byte, starting with `ownPrefix`. */
  private encode(event: BusEvent): string {
    return `${this.ownPrefix}"event":${JSON.stringify(event)}}`;
  }

  private receive(channel: string, payload: string): void {
    // Already delivered locally when it was published.
    if (payload.startsWith(this.ownPrefix)) return;
    let envelope: Partial<Envelope> | null;
    try {
      envelope = JSON.parse(payload) as Partial<Envelope> | null;
    } catch (error) {
      this.report('decode', error);
      return;
    }
    if (envelope?.v !== 1 || !isBusEvent(envelope.event)) {
      this.report('decode', new Error(`unknown envelope on ${channel}`));
      return;
    }
    // Ours too, if written some other way (the prefix check above is the fast path).
    if (envelope.origin === this.opts.nodeId) return;
    if (channel !== this.channel(envelope.event.roomId)) return;
    this.deliver(envelope.event);
  }

  private deliver(event: BusEvent): void {
    const topic = this.topics.get(event.roomId);
    if (!topic) return;
    for (const handler of topic.handlers) {
      try {
        handler(event);
      } catch (error) {
        this.opts.log?.error({ err: error, room: event.roomId }, 'bus handler failed');
      }
    }
  }

  /** Rooms with at least one subscriber (for leak checks). */
  topicCount(): number {
    return this.topics.size;
  }

  /** Fails until the subscriber is back with every subscription, and the publisher answers. */
  async ping(): Promise<void> {
    if (!this.live) throw new Error(`redis subscriber is ${this.sub.status}`);
    await this.pub.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.topics.clear();
    this.reconnectListeners.clear();
    this.unsent.clear();
    await Promise.all([quitRedis(this.pub), quitRedis(this.sub)]);
  }
}
