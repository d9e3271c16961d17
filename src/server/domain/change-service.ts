import type { MessageChange } from '../../protocol/changes.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Message } from '../../protocol/rest.js';
import {
  ChatError,
  forbidden,
  messageNotFound,
  roomNotFound,
  validationFailed,
} from '../errors.js';
import type { ChatStore, NewChange } from '../storage/chat-store.js';
import type { Logger } from '../util/logger.js';
import type { Actor } from './actor.js';
import type { AttachmentService } from './attachment-service.js';
import { type MessageAction, mayChangeMessage, REFUSED_TEXT } from './message-permissions.js';
import type { MessageService } from './message-service.js';
import type { RoomAccess } from './room-access.js';

/** A change asked for, its text already checked (validate.ts, or the REST route). */
export type ChangeRequest =
  | { kind: 'edit'; content: string }
  | { kind: 'delete' }
  | { kind: 'react'; emoji: string; on: boolean };

export interface AppliedChange {
  change: MessageChange;
  /** The message's current state; null once deleted. */
  message: Message | null;
  /** A retry of a change made before (same sender, same client_id): nothing was stored. */
  duplicate: boolean;
}

const ACTION: Record<ChangeRequest['kind'], MessageAction> = {
  edit: 'edit',
  delete: 'delete',
  react: 'react',
};

/**
 * Edits, deletes and reactions (issue 11), for REST and WebSocket alike: checks
 * who may (message-permissions.ts), then stores the change through the
 * MessageService's queue, so it takes its seq and is published in order with
 * messages. A deleted message's files go after the commit.
 */
export class ChangeService {
  constructor(
    private readonly store: ChatStore,
    private readonly messages: MessageService,
    private readonly access: RoomAccess,
    private readonly attachments: AttachmentService,
    private readonly log: Logger,
  ) {}

  /**
   * Applies `request` by `username` (the actor's name; open mode: the name given)
   * to a message of the room. Throws ChatError: ROOM_NOT_FOUND, MESSAGE_NOT_FOUND,
   * FORBIDDEN, TOO_MANY_REACTIONS, VALIDATION_FAILED (a client_id of a message).
   */
  async apply(
    actor: Actor,
    username: string,
    roomId: string,
    messageId: string,
    request: ChangeRequest,
    clientId?: string,
  ): Promise<AppliedChange> {
    const room = await this.access.require(actor, roomId, 'see');
    const stored = await this.store.getMessage(roomId, messageId);
    // A deleted message may still answer a retried change (its client_id): the store decides.
    if (!stored || (stored.deleted && clientId === undefined)) throw messageNotFound();
    const action = ACTION[request.kind];
    if (!mayChangeMessage(actor, username, room, stored.message.username, action)) {
      throw forbidden(REFUSED_TEXT[action]);
    }
    const item: NewChange = {
      roomId,
      messageId,
      username,
      kind: request.kind === 'react' ? (request.on ? 'react' : 'unreact') : request.kind,
      ...(request.kind === 'edit' ? { content: request.content } : {}),
      ...(request.kind === 'react' ? { emoji: request.emoji } : {}),
      ...(clientId !== undefined ? { clientId } : {}),
    };
    const result = await this.messages.change(item);
    if (!result.ok) {
      switch (result.reason) {
        case 'room_not_found':
          throw roomNotFound(roomId);
        case 'message_not_found':
          throw messageNotFound();
        case 'too_many_reactions':
          throw new ChatError(
            ErrorCode.TOO_MANY_REACTIONS,
            'This message has as many different reactions as it may have',
            409,
          );
        case 'client_id_taken':
          throw validationFailed(
            ['body', 'client_id'],
            'This client_id names a message of yours in this room',
            'value_error',
          );
      }
    }
    if (result.releasedUploads.length > 0) {
      // After the commit; the sweep of abandoned uploads finishes what fails here.
      this.attachments.deleteReleased(result.releasedUploads).catch((error: unknown) => {
        this.log.warn({ err: error, room: roomId }, 'deleting a deleted message’s files failed');
      });
    }
    return { change: result.change, message: result.message, duplicate: result.duplicate };
  }
}
