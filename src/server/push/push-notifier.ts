// Sends Web Push notifications for stored messages, off the send path: the
// message service hands each committed message over (`enqueue`, O(1)), and one
// background loop works out who to tell, skips those present in the room, and
// sends with a bounded number of requests in flight. A failed push is logged; a
// subscription the push service calls gone (404/410) is deleted.
import https from 'node:https';
import webpush from 'web-push';
import { messageUrl, type PushNotification, pushExcerpt } from '../../protocol/push.js';
import type { Message, Room } from '../../protocol/rest.js';
import { usernameKey } from '../domain/accounts.js';
import type { RoomPresence } from '../domain/room-presence.js';
import type { PushStore, StoredPushSubscription, VapidKeyPair } from '../storage/push-store.js';
import type { Logger } from '../util/logger.js';
import type { PushAudience } from './push-audience.js';

export interface PushNotifierOptions {
  keys: VapidKeyPair;
  /** VAPID `sub`: the operator's contact. */
  subject: string;
  /** For the requests to push services (tests: one that trusts a test certificate); by default a keep-alive agent of its own. */
  agent?: https.Agent;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Messages waiting at most; beyond it new ones are not pushed (and counted in the log). */
  maxQueue?: number;
  /** Counts each push by result (`parley_push_total`). */
  count?: (result: 'sent' | 'gone' | 'failed' | 'dropped') => void;
}

/** How long a push service keeps an undelivered notification (seconds). */
const TTL_S = 6 * 60 * 60;
const REQUEST_TIMEOUT_MS = 10_000;
/** Messages taken off the queue at once. */
const BATCH = 256;

export class PushNotifier {
  private readonly queue: Message[] = [];
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly concurrency: number;
  private readonly maxQueue: number;
  private dropped = 0;
  private closed = false;
  /** Keep-alive connections to the push services (a few hosts: FCM, Mozilla's, Apple's). */
  private readonly agent: https.Agent;
  private readonly ownAgent: boolean;

  constructor(
    private readonly audience: PushAudience,
    private readonly subscriptions: PushStore,
    private readonly presence: RoomPresence,
    private readonly log: Logger,
    private readonly opts: PushNotifierOptions,
  ) {
    this.concurrency = opts.concurrency ?? 16;
    this.maxQueue = opts.maxQueue ?? 10_000;
    this.ownAgent = opts.agent === undefined;
    this.agent = opts.agent ?? new https.Agent({ keepAlive: true, maxSockets: this.concurrency });
  }

  /** The VAPID public key browsers subscribe with. */
  get publicKey(): string {
    return this.opts.keys.publicKey;
  }

  /** Called after a message is committed (never for a duplicate). Constant time. */
  enqueue(message: Message): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueue) {
      this.opts.count?.('dropped');
      if (this.dropped++ === 0) this.log.warn('push queue full: messages are not being pushed');
      return;
    }
    this.queue.push(message);
    this.loop ??= this.run();
  }

  /** Resolves once every message enqueued so far was handled and its pushes answered. */
  async idle(): Promise<void> {
    while (this.loop || this.inFlight.size > 0) {
      await Promise.all([this.loop, ...this.inFlight]);
    }
  }

  /** Stops taking messages; waits for what is under way. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    await this.idle();
    if (this.ownAgent) this.agent.destroy();
  }

  private async run(): Promise<void> {
    try {
      // Past enqueue's `this.loop ??=` first: a batch that awaits nothing (every
      // message skipped) must not reach `finally` before the loop is recorded.
      await undefined;
      while (this.queue.length > 0) {
        for (const message of this.queue.splice(0, BATCH)) {
          // Most messages are for nobody, and the caches say so at once: no promise each.
          if (this.audience.nobodyToTell(message)) continue;
          try {
            await this.notify(message);
          } catch (error) {
            this.log.warn({ err: error, message: message.id }, 'push: finding recipients failed');
          }
        }
      }
      if (this.dropped > 0) {
        this.log.warn({ dropped: this.dropped }, 'push queue overflowed: messages not pushed');
        this.dropped = 0;
      }
    } finally {
      this.loop = null;
    }
  }

  private async notify(message: Message): Promise<void> {
    const found = await this.audience.of(message);
    if (!found) return;
    const subs = await this.subscriptions.forReaders(found.recipients.map((r) => r.reader));
    if (subs.length === 0) return;
    // Campfire's rule: whoever is connected to the room sees the message already.
    const present = new Set((await this.presence.users(message.room_id)).map(usernameKey));
    const absent = new Set(
      found.recipients.filter((r) => !present.has(usernameKey(r.username))).map((r) => r.reader),
    );
    const payload = JSON.stringify(notification(found.room, message));
    for (const sub of subs) {
      if (!absent.has(sub.reader)) continue;
      while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
      const sending = this.send(sub, payload).finally(() => this.inFlight.delete(sending));
      this.inFlight.add(sending);
    }
  }

  private async send(sub: StoredPushSubscription, payload: string): Promise<void> {
    try {
      await webpush.sendNotification(
        { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } },
        payload,
        {
          vapidDetails: {
            subject: this.opts.subject,
            publicKey: this.opts.keys.publicKey,
            privateKey: this.opts.keys.privateKey,
          },
          TTL: TTL_S,
          contentEncoding: 'aes128gcm',
          timeout: REQUEST_TIMEOUT_MS,
          agent: this.agent,
        },
      );
      this.opts.count?.('sent');
    } catch (error) {
      const status = error instanceof webpush.WebPushError ? error.statusCode : undefined;
      if (status === 404 || status === 410) {
        this.opts.count?.('gone');
        // The browser unsubscribed or the subscription expired: it will never work again.
        await this.subscriptions.remove(sub.endpoint, null).catch((e: unknown) => {
          this.log.warn({ err: e }, 'push: removing a gone subscription failed');
        });
        return;
      }
      this.opts.count?.('failed');
      // Not the error object: it carries the endpoint, a capability URL that stays out of logs.
      this.log.warn(
        {
          status,
          origin: new URL(sub.endpoint).origin,
          detail:
            error instanceof webpush.WebPushError
              ? String(error.body ?? '').slice(0, 200)
              : error instanceof Error
                ? error.message
                : String(error),
        },
        'push: sending failed',
      );
    }
  }
}

/** What the service worker shows. */
export function notification(room: Room, message: Message): PushNotification {
  return {
    type: 'message',
    room_id: room.id,
    room_name: room.kind === 'dm' ? message.username : room.name,
    room_kind: room.kind,
    message_id: message.id,
    seq: message.seq,
    author: message.username,
    // attachments are named in the content (`📎 name (size) url`)
    excerpt: pushExcerpt(message.content),
    url: messageUrl(room.id, message.seq),
  };
}
