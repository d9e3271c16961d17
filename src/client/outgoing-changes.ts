// Our edits, deletes and reactions on their way: the change outbox (kept in
// storage until the server confirms each), sending what is pending once connected
// (again after every reconnect, under the same client_id, so the server applies
// each once), the `change` echo that confirms one, and the error frame that
// refuses one (it is dropped, and the person told why).
import type { MessageChange } from '../protocol/changes.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ServerEvents } from '../protocol/frames.js';
import type { ChangeOutbox, ChangeRequest, PendingChange } from './change-outbox.js';
import type { ChangeFrame } from './live-types.js';
import type { EmitRoomEvent } from './room-events.js';

/** Why the server refused a change, for the person. */
export function changeFailureText(code: string, kind: PendingChange['kind']): string {
  const what = kind === 'edit' ? 'edit' : kind === 'delete' ? 'delete' : 'react to';
  switch (code) {
    case ErrorCode.FORBIDDEN:
      return `You can't ${what} that message.`;
    case ErrorCode.MESSAGE_NOT_FOUND:
      return 'That message no longer exists.';
    case ErrorCode.TOO_MANY_REACTIONS:
      return 'That message has too many different reactions already.';
    case ErrorCode.INVALID_EMOJI:
      return "That reaction isn't allowed.";
    case ErrorCode.CONTENT_TOO_LONG:
      return 'The edit is too long.';
    case ErrorCode.INVALID_CONTENT:
      return 'The server rejected the edit.';
    default:
      return `Couldn't ${what} the message.`;
  }
}

export function toFrame(c: PendingChange): ChangeFrame {
  switch (c.kind) {
    case 'edit':
      return { type: 'edit', message_id: c.message_id, content: c.content, client_id: c.client_id };
    case 'delete':
      return { type: 'delete', message_id: c.message_id, client_id: c.client_id };
    case 'react':
      return {
        type: 'react',
        message_id: c.message_id,
        emoji: c.emoji,
        on: c.on,
        client_id: c.client_id,
      };
  }
}

export interface OutgoingChangesOptions {
  outbox: ChangeOutbox;
  username: string;
  /** Writes a frame if connected; false when it was not sent. */
  send: (frame: ChangeFrame) => boolean;
  isOpen: () => boolean;
  emit: EmitRoomEvent;
}

export class OutgoingChanges {
  /** Sent on the current connection and not yet answered. */
  private readonly inflight = new Set<string>();

  constructor(private readonly opts: OutgoingChangesOptions) {}

  /** Pending changes of this user, oldest first. */
  get items(): readonly PendingChange[] {
    return this.opts.outbox.items();
  }

  queue(req: ChangeRequest): PendingChange {
    const item = this.opts.outbox.add(req);
    this.opts.emit('timeline', { reason: 'change' });
    this.transmit(item);
    return item;
  }

  /** Sends every pending change not already on the wire, in the order they were made. */
  flush(): void {
    if (!this.opts.isOpen()) return;
    for (const item of this.opts.outbox.items()) this.transmit(item);
  }

  /** A change from the server: if it is the echo of one of ours, that one is done. */
  settle(c: MessageChange): boolean {
    if (c.client_id === undefined || c.username !== this.opts.username) return false;
    this.inflight.delete(c.client_id);
    return this.opts.outbox.remove(c.client_id) !== undefined;
  }

  /**
   * An error frame naming one of our changes: it is dropped (retrying would be
   * refused again) and the person told. Returns false when it names none of ours.
   */
  serverError(d: ServerEvents['error']): boolean {
    if (d.client_id === undefined || !this.opts.outbox.has(d.client_id)) return false;
    this.inflight.delete(d.client_id);
    const item = this.opts.outbox.remove(d.client_id);
    if (!item) return false;
    this.opts.emit('timeline', { reason: 'change' });
    this.opts.emit('problem', changeFailureText(d.code, item.kind));
    return true;
  }

  /** The connection ended: whatever was on the wire goes again on the next one. */
  connectionLost(): void {
    this.inflight.clear();
  }

  /** Re-reads the outbox (another tab of this user changed it) and sends what is new. */
  sync(): void {
    this.opts.outbox.reload();
    this.opts.emit('timeline', { reason: 'change' });
    this.flush();
  }

  dropAll(): void {
    this.inflight.clear();
    this.opts.outbox.destroy();
  }

  private transmit(item: PendingChange): void {
    if (this.inflight.has(item.client_id)) return;
    if (this.opts.send(toFrame(item))) this.inflight.add(item.client_id);
  }
}
