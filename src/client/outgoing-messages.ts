// Our messages on their way: the outbox (kept in storage until the server's echo
// confirms each), the ones on the wire now with the timer that marks them failed
// when no echo comes, sending what is pending once connected, retry and discard,
// and the failures the server reports (an error frame naming a message, or a 1009
// close after one too big for it).
import type { AttachmentInfo } from '../protocol/attachment-text.js';
import type { ReplyPreview } from '../protocol/changes.js';
import { CloseCode, ErrorCode } from '../protocol/error-codes.js';
import type { ServerEvents } from '../protocol/frames.js';
import type { Message } from '../protocol/rest.js';
import type { ConnectionState } from './chat-client.js';
import type { OutgoingFrame } from './live-types.js';
import type { Outbox, OutboxItem } from './outbox.js';
import type { EmitRoomEvent } from './room-events.js';

/** Error codes the server sends in answer to one of our message frames. */
const MESSAGE_ERRORS: ReadonlySet<string> = new Set([
  ErrorCode.INVALID_CONTENT,
  ErrorCode.CONTENT_TOO_LONG,
  ErrorCode.STORE_FAILED,
  ErrorCode.RATE_LIMITED,
  ErrorCode.INVALID_FRAME,
  ErrorCode.ATTACHMENT_INVALID,
  // The message it replies to is gone (deleted, or never in this room).
  ErrorCode.MESSAGE_NOT_FOUND,
]);

/** Why a message failed, for the person (kept on the outbox item). */
export function failureText(code: string, fallback: string): string {
  switch (code) {
    case ErrorCode.CONTENT_TOO_LONG:
      return 'Too long to send';
    case ErrorCode.RATE_LIMITED:
      return 'Sending too fast';
    case ErrorCode.STORE_FAILED:
      return "The server couldn't save it";
    case ErrorCode.INVALID_CONTENT:
      return 'The server rejected it';
    case ErrorCode.ATTACHMENT_INVALID:
      return 'An attached file is no longer available';
    case ErrorCode.MESSAGE_NOT_FOUND:
      return 'The message it replies to is gone';
    default:
      return fallback || 'Not sent';
  }
}

export interface OutgoingMessagesOptions {
  outbox: Outbox;
  username: string;
  /** Writes a frame if connected; false when it was not sent. */
  send: (frame: OutgoingFrame) => boolean;
  isOpen: () => boolean;
  /** A sent message with no echo after this long is marked failed. */
  echoTimeoutMs: number;
  emit: EmitRoomEvent;
}

export class OutgoingMessages {
  /** Messages sent on the current connection and not yet echoed, in send order. */
  private readonly inflight = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly opts: OutgoingMessagesOptions) {}

  /** Outbox items of this user, oldest first. */
  get items(): readonly OutboxItem[] {
    return this.opts.outbox.items();
  }

  /** Whether `clientId` is on the wire now, waiting for its echo. */
  isInflight(clientId: string): boolean {
    return this.inflight.has(clientId);
  }

  /** Puts checked, normalized content in the outbox (shown as pending at once) and sends it if connected. */
  queue(
    content: string,
    attachments: readonly AttachmentInfo[] = [],
    replyTo?: ReplyPreview,
  ): void {
    const item = this.opts.outbox.add(content, new Date(), attachments, replyTo);
    this.opts.emit('timeline', { reason: 'pending', own: true });
    this.transmit(item);
  }

  retry(clientId: string): void {
    this.opts.outbox.markPending(clientId);
    this.opts.emit('timeline', { reason: 'pending', own: false });
    const item = this.opts.outbox.get(clientId);
    if (item) this.transmit(item);
  }

  discard(clientId: string): void {
    this.clearInflight(clientId);
    if (this.opts.outbox.remove(clientId)) {
      this.opts.emit('timeline', { reason: 'pending', own: false });
    }
  }

  /** Re-reads the outbox (another tab of this user changed it) and sends what is new. */
  sync(): void {
    this.opts.outbox.reload();
    this.opts.emit('timeline', { reason: 'pending', own: false });
    this.flush();
  }

  /** Sends every pending outbox item not already on the wire. */
  flush(): void {
    if (!this.opts.isOpen()) return;
    for (const item of this.opts.outbox.pending()) this.transmit(item);
  }

  /** A message from the server (live or REST): if it is one of ours, it is confirmed. */
  settle(m: Message): boolean {
    if (m.client_id === undefined || m.username !== this.opts.username) return false;
    this.clearInflight(m.client_id);
    return this.opts.outbox.remove(m.client_id);
  }

  /**
   * An error frame: marks the message it is about as failed and returns true, or
   * returns false when it is about none of ours (the caller reports it).
   */
  serverError(d: ServerEvents['error']): boolean {
    if (!MESSAGE_ERRORS.has(d.code)) return false;
    // The server names the failed message when it can; a rate-limit error cannot
    // be tied to one (the frame was not read), so the echo timeout handles it.
    const target =
      d.client_id !== undefined
        ? this.inflight.has(d.client_id)
          ? d.client_id
          : undefined
        : d.code === ErrorCode.RATE_LIMITED
          ? undefined
          : this.inflight.keys().next().value;
    if (target === undefined) return false;
    const reason = failureText(d.code, d.message);
    this.clearInflight(target);
    this.opts.outbox.markFailed(target, reason);
    this.opts.emit('timeline', { reason: 'pending', own: false });
    this.opts.emit('sendFailed', { clientId: target, code: d.code, reason });
    return true;
  }

  /**
   * The open connection ended (`next` is the state after it): nothing is on the
   * wire any more; pending items go out again on the next connection.
   */
  connectionLost(next: ConnectionState): void {
    if (
      (next.kind === 'waiting' || next.kind === 'gave_up') &&
      next.code === CloseCode.MESSAGE_TOO_BIG
    ) {
      this.failLargestInflight();
    }
    this.clearAllInflight();
  }

  /** The room was deleted: its outbox goes. */
  dropAll(): void {
    this.opts.outbox.destroy();
  }

  stop(): void {
    this.clearAllInflight();
  }

  private transmit(item: OutboxItem): void {
    if (item.status !== 'pending' || this.inflight.has(item.client_id)) return;
    const sent = this.opts.send({
      type: 'message',
      content: item.content,
      client_id: item.client_id,
      ...(item.attachments ? { attachments: item.attachments.map((a) => a.id) } : {}),
      ...(item.reply_to ? { reply_to: item.reply_to.id } : {}),
    });
    if (!sent) return;
    const timer = setTimeout(() => {
      this.inflight.delete(item.client_id);
      this.opts.outbox.markFailed(item.client_id, 'No confirmation from the server');
      this.opts.emit('timeline', { reason: 'pending', own: false });
    }, this.opts.echoTimeoutMs);
    this.inflight.set(item.client_id, timer);
  }

  private clearInflight(clientId: string): void {
    const t = this.inflight.get(clientId);
    if (t === undefined) return;
    clearTimeout(t);
    this.inflight.delete(clientId);
  }

  private clearAllInflight(): void {
    for (const t of this.inflight.values()) clearTimeout(t);
    this.inflight.clear();
  }

  /** After a 1009 close, the biggest message on the wire is the culprit: don't resend it. */
  private failLargestInflight(): void {
    let worst: OutboxItem | undefined;
    for (const id of this.inflight.keys()) {
      const item = this.opts.outbox.get(id);
      if (item && (!worst || item.content.length > worst.content.length)) worst = item;
    }
    if (worst) {
      this.opts.outbox.markFailed(worst.client_id, 'Too large for the server');
      this.opts.emit('timeline', { reason: 'pending', own: false });
    }
  }
}
