import type { RawData } from 'ws';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ClientFrame } from '../../protocol/frames.js';
import { type FrameLimits, parseClientFrame } from '../../protocol/validate.js';
import { OPEN_ACTOR } from '../domain/actor.js';
import type { ChangeRequest, ChangeService } from '../domain/change-service.js';
import type { MessageService } from '../domain/message-service.js';
import type { RoomPresence } from '../domain/room-presence.js';
import { ChatError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { NewMessage } from '../storage/chat-store.js';
import type { Logger } from '../util/logger.js';
import type { ChatConnection } from './connection.js';
import type { RoomPeer } from './room-member.js';

export interface DispatchDeps {
  messages: MessageService;
  changes: ChangeService;
  presence: RoomPresence;
  limits: FrameLimits;
  log: Logger;
  metrics?: Metrics;
}

export type FrameHandler = (conn: ChatConnection, data: RawData, isBinary: boolean) => void;

/** Carries out one parsed client frame for a room (a `/ws/chat` connection or a workspace subscription). */
export type RoomFrameHandler = (conn: RoomPeer, frame: ClientFrame) => void;

/** Parses `/ws/chat` frames and hands them to the room frame handler. */
export function createDispatcher(deps: DispatchDeps): FrameHandler {
  const handle = createRoomFrameHandler(deps);
  return (conn, data, isBinary) => {
    if (isBinary) {
      conn.sendError(ErrorCode.INVALID_FRAME, 'Binary frames are not supported; send JSON text');
      return;
    }
    const parsed = parseClientFrame(data.toString(), deps.limits);
    if (!parsed.ok) {
      conn.sendError(parsed.code, parsed.message, parsed.clientId);
      return;
    }
    handle(conn, parsed.frame);
  };
}

/**
 * Turns one client frame into a service call; every failure becomes an error
 * frame. Rate limiting happens before, in the connection (frames wait their turn).
 */
export function createRoomFrameHandler({
  messages,
  changes,
  presence,
  log,
  metrics,
}: DispatchDeps): RoomFrameHandler {
  const failed = (conn: RoomPeer, error: unknown, clientId?: string): void => {
    if (error instanceof ChatError) {
      // Field errors are REST's; a WebSocket frame that breaks a rule is an invalid frame.
      const code =
        error.code === ErrorCode.VALIDATION_FAILED ? ErrorCode.INVALID_FRAME : error.code;
      conn.sendError(code, error.message, clientId);
    } else {
      log.error({ err: error, room: conn.roomId }, 'frame handling failed');
      conn.sendError(ErrorCode.INTERNAL, 'Internal error', clientId);
    }
  };

  return (conn, frame) => {
    switch (frame.type) {
      case 'message': {
        metrics?.messagesReceived.inc();
        const started = performance.now();
        // Counted, so that a rate-limit close waits for this message's echo.
        conn.sendStarted();
        const item: NewMessage = {
          roomId: conn.roomId,
          username: conn.username,
          content: frame.content,
          clientId: frame.client_id,
        };
        // Set only when present: spreading conditional literals costs twice as much (bench/micro.ts).
        if (frame.attachments) item.attachments = frame.attachments;
        if (frame.reply_to !== undefined) item.replyTo = frame.reply_to;
        // Behind this connection's pending changes, if any (ChatConnection.afterChanges).
        (conn.changesPending
          ? conn.afterChanges(() => messages.send(item))
          : messages.send(item)
        ).then(
          (result) => {
            let stored = 0;
            try {
              if (!result.ok && result.reason === 'attachment_invalid')
                conn.sendError(
                  ErrorCode.ATTACHMENT_INVALID,
                  'An attachment is not an unsent upload of this room',
                  frame.client_id,
                );
              else if (!result.ok && result.reason === 'reply_not_found')
                conn.sendError(
                  ErrorCode.MESSAGE_NOT_FOUND,
                  'The message replied to does not exist in this room (or was deleted)',
                  frame.client_id,
                );
              else if (!result.ok)
                conn.sendError(ErrorCode.ROOM_NOT_FOUND, 'Room not found', frame.client_id);
              // A retried send: the room heard it the first time; confirm to the sender only.
              else if (result.duplicate) conn.send({ type: 'message', data: result.message });
              // Resolved after the commit and the publish, which wrote the echo locally.
              else {
                stored = result.message.seq;
                metrics?.sendLatency.observe((performance.now() - started) / 1000);
              }
            } finally {
              conn.sendSettled(stored);
            }
          },
          (error: unknown) => {
            try {
              failed(conn, error, frame.client_id);
            } finally {
              conn.sendSettled(0);
            }
          },
        );
        return;
      }
      case 'typing':
        // Left already (a frame processed after the socket closed): no one to show it for.
        if (!conn.isOpen) return;
        presence
          .typing(conn.roomId, conn.username, frame.is_typing)
          .catch((error: unknown) => failed(conn, error));
        return;
      case 'edit':
      case 'delete':
      case 'react': {
        const request: ChangeRequest =
          frame.type === 'edit'
            ? { kind: 'edit', content: frame.content }
            : frame.type === 'react'
              ? { kind: 'react', emoji: frame.emoji, on: frame.on }
              : { kind: 'delete' };
        // In frame order per connection (see ChatConnection.inOrder).
        conn.inOrder(() =>
          changes
            .apply(
              conn.account ?? OPEN_ACTOR,
              conn.username,
              conn.roomId,
              frame.message_id,
              request,
              frame.client_id,
            )
            .then(
              (result) => {
                // A new change reaches the sender with everyone (the room's fan-out);
                // a retry only the sender, and only if it speaks changes.
                if (result.duplicate && conn.changes)
                  conn.send({ type: 'change', data: result.change });
              },
              (error: unknown) => failed(conn, error, frame.client_id),
            ),
        );
        return;
      }
      case 'get_users':
        presence
          .users(conn.roomId)
          .then((users) => conn.send({ type: 'user_list', data: { users } }))
          .catch((error: unknown) => failed(conn, error));
        return;
    }
  };
}
