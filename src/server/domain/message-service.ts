import type { Message } from '../../protocol/rest.js';
import {
  contentProblem,
  nameProblem,
  normalizeContent,
  normalizeName,
} from '../../protocol/text-rules.js';
import type { MessageBus } from '../bus/message-bus.js';
import type { Config } from '../config.js';
import { messageNotFound, roomNotFound, storeFailed, validationFailed } from '../errors.js';
import type {
  AppendResult,
  ChangeResult,
  ChatStore,
  NewChange,
  NewMessage,
} from '../storage/chat-store.js';
import type { Logger } from '../util/logger.js';
import type { Actor } from './actor.js';
import type { RoomAccess } from './room-access.js';

/** A message sent over REST (`POST /api/chat/rooms/{id}/messages`). */
export interface PostedMessage {
  content: string;
  client_id?: string;
  /** Open mode only: the sender's name. */
  username?: string;
  reply_to?: string;
}

interface PendingMessage {
  kind: 'message';
  item: NewMessage;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

interface PendingChange {
  kind: 'change';
  item: NewChange;
  resolve: (result: ChangeResult) => void;
  reject: (error: unknown) => void;
}

/** A send or a change waiting for the next group commit; both take seqs in queue order. */
type Pending = PendingMessage | PendingChange;

/** Most messages written in one transaction. */
const MAX_BATCH = 512;

/**
 * Stores messages and then publishes them. Sends arriving in the same event-loop
 * turn are committed together (group commit); each caller's promise, and the
 * broadcast, come only after the commit, so an echoed message is durable.
 */
export class MessageService {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Flushes run one after another so messages are published in seq order. */
  private flushing: Promise<void> = Promise.resolve();
  /** One handler for every publish, not a closure per message. */
  private readonly publishFailed = (error: unknown): void => {
    this.log.error({ err: error }, 'publishing a message failed');
  };

  constructor(
    private readonly store: ChatStore,
    private readonly bus: MessageBus,
    private readonly log: Logger,
    /** Told of each newly stored message after its commit (push notifications); must not block. */
    private readonly stored?: (message: Message) => void,
  ) {}

  /**
   * A message sent over REST: checked like a WebSocket frame, then through the same
   * group commit, per-sender idempotency and ordered delivery. `duplicate` when the
   * sender's `client_id` was seen in this room before (the stored message comes back).
   */
  async post(
    actor: Actor,
    access: RoomAccess,
    roomId: string,
    body: PostedMessage,
    limits: Config['limits'],
  ): Promise<{ message: Message; duplicate: boolean }> {
    let username: string;
    if (actor.kind === 'user') {
      username = actor.username;
    } else {
      username = normalizeName(body.username ?? '');
      const problem = nameProblem(username, limits.maxUsernameLength);
      if (problem) {
        throw validationFailed(['body', 'username'], `Invalid username: ${problem}`, 'value_error');
      }
    }
    const content = normalizeContent(body.content);
    const problem = contentProblem(content, limits.maxContentLength);
    if (problem) {
      throw validationFailed(['body', 'content'], `Invalid content: ${problem}`, 'value_error');
    }
    const clientId = body.client_id;
    if (clientId !== undefined && nameProblem(clientId, limits.maxClientIdLength)) {
      throw validationFailed(['body', 'client_id'], 'Invalid client_id', 'value_error');
    }
    await access.require(actor, roomId, 'see');
    const result = await this.send({
      roomId,
      username,
      content,
      ...(clientId !== undefined ? { clientId } : {}),
      ...(body.reply_to !== undefined ? { replyTo: body.reply_to } : {}),
    });
    if (!result.ok && result.reason === 'reply_not_found') {
      throw messageNotFound('The message replied to');
    }
    if (!result.ok) throw roomNotFound(roomId);
    return { message: result.message, duplicate: result.duplicate };
  }

  send(item: NewMessage): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.enqueue({ kind: 'message', item, resolve, reject });
    });
  }

  /**
   * Applies a change (issue 11) through the same queue as sends, so it takes its
   * seq, commits and is published in the order it came among them. The caller
   * (ChangeService) has decided it is allowed.
   */
  change(item: NewChange): Promise<ChangeResult> {
    return new Promise((resolve, reject) => {
      this.enqueue({ kind: 'change', item, resolve, reject });
    });
  }

  private enqueue(pending: Pending): void {
    this.queue.push(pending);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flushing = this.flushing.then(() => this.flush());
      });
    }
  }

  /** Resolves once everything queued so far is committed and published. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.scheduled) {
      await new Promise((r) => setImmediate(r));
      await this.flushing;
    }
    await this.flushing;
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      // A run of one kind: sends alone (the usual case) are one transaction as before.
      const kind = (this.queue[0] as Pending).kind;
      let n = 1;
      while (n < this.queue.length && n < MAX_BATCH && (this.queue[n] as Pending).kind === kind)
        n++;
      if (kind === 'change') {
        await this.flushChanges(this.queue.splice(0, n) as PendingChange[]);
        continue;
      }
      const batch = this.queue.splice(0, n) as PendingMessage[];
      let results: AppendResult[];
      try {
        results = await this.store.appendMessages(batch.map((p) => p.item));
      } catch (error) {
        this.log.error({ err: error, count: batch.length }, 'storing messages failed');
        const failure = storeFailed(error);
        for (const p of batch) p.reject(failure);
        continue;
      }
      for (let i = 0; i < batch.length; i++) {
        const result = results[i] as AppendResult;
        // A duplicate was broadcast when it was first stored; only its sender hears again.
        if (result.ok && !result.duplicate) {
          this.bus
            .publish({ type: 'message', roomId: result.message.room_id, message: result.message })
            .catch(this.publishFailed);
          this.stored?.(result.message);
        }
        (batch[i] as PendingMessage).resolve(result);
      }
    }
  }

  private async flushChanges(batch: PendingChange[]): Promise<void> {
    let results: ChangeResult[];
    try {
      results = await this.store.applyChanges(batch.map((p) => p.item));
    } catch (error) {
      this.log.error({ err: error, count: batch.length }, 'storing changes failed');
      const failure = storeFailed(error);
      for (const p of batch) p.reject(failure);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const result = results[i] as ChangeResult;
      if (result.ok && !result.duplicate) {
        this.bus
          .publish({ type: 'change', roomId: result.change.room_id, change: result.change })
          .catch(this.publishFailed);
      }
      (batch[i] as PendingChange).resolve(result);
    }
  }
}
