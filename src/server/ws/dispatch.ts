import type { RawData } from 'ws';
import { CloseCode, ErrorCode } from '../../protocol/error-codes.js';
import { type FrameLimits, parseClientFrame } from '../../protocol/validate.js';
import type { MessageService } from '../domain/message-service.js';
import type { RoomPresence } from '../domain/room-presence.js';
import { ChatError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { Logger } from '../util/logger.js';
import type { ChatConnection } from './connection.js';
import { userListFrame } from './server-frames.js';

export interface DispatchDeps {
  messages: MessageService;
  presence: RoomPresence;
  limits: FrameLimits;
  log: Logger;
  metrics?: Metrics;
}

export type FrameHandler = (conn: ChatConnection, data: RawData, isBinary: boolean) => void;

/** Turns one inbound frame into a service call; every failure becomes an error frame. */
export function createDispatcher({
  messages,
  presence,
  limits,
  log,
  metrics,
}: DispatchDeps): FrameHandler {
  const failed = (conn: ChatConnection, error: unknown, clientId?: string): void => {
    if (error instanceof ChatError) {
      conn.sendError(error.code, error.message, clientId);
    } else {
      log.error({ err: error, room: conn.roomId }, 'frame handling failed');
      conn.sendError(ErrorCode.INTERNAL, 'Internal error', clientId);
    }
  };

  return (conn, data, isBinary) => {
    const admission = conn.admitFrame();
    if (admission === 'abuse') {
      conn.close(CloseCode.RATE_LIMITED, 'Rate limit exceeded repeatedly');
      return;
    }
    if (admission === 'limited') {
      conn.sendError(ErrorCode.RATE_LIMITED, 'Too many frames; slow down');
      return;
    }
    if (isBinary) {
      conn.sendError(ErrorCode.INVALID_FRAME, 'Binary frames are not supported; send JSON text');
      return;
    }
    const parsed = parseClientFrame(data.toString(), limits);
    if (!parsed.ok) {
      conn.sendError(parsed.code, parsed.message, parsed.clientId);
      return;
    }
    const frame = parsed.frame;
    switch (frame.type) {
      case 'message': {
        metrics?.messagesReceived.inc();
        const started = performance.now();
        messages
          .send({
            roomId: conn.roomId,
            username: conn.username,
            content: frame.content,
            clientId: frame.client_id,
          })
          .then((result) => {
            if (!result.ok)
              conn.sendError(ErrorCode.ROOM_NOT_FOUND, 'Room not found', frame.client_id);
            // A retried send: the room heard it the first time; confirm to the sender only.
            else if (result.duplicate) conn.send({ type: 'message', data: result.message });
            // Resolved after the commit and the publish, which wrote the echo locally.
            else metrics?.sendLatency.observe((performance.now() - started) / 1000);
          })
          .catch((error: unknown) => failed(conn, error, frame.client_id));
        return;
      }
      case 'typing':
        presence
          .typing(conn.roomId, conn.username, frame.is_typing)
          .catch((error: unknown) => failed(conn, error));
        return;
      case 'get_users':
        presence
          .users(conn.roomId)
          .then((users) => conn.sendRaw(userListFrame(users)))
          .catch((error: unknown) => failed(conn, error));
        return;
    }
  };
}
