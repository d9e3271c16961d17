// The one place server frames are built and serialized. A broadcast is encoded
// once and the same bytes are written to every socket.
import type { MessageChange } from '../../protocol/changes.js';
import type { ErrorCode } from '../../protocol/error-codes.js';
import type { ServerEvents, ServerFrame } from '../../protocol/frames.js';
import type { Message } from '../../protocol/rest.js';

/** A serialized server frame, ready for `ChatConnection.sendRaw`. */
export type EncodedFrame = Buffer;

export const encodeFrame = (frame: ServerFrame): EncodedFrame => Buffer.from(JSON.stringify(frame));

export const messageFrame = (message: Message): EncodedFrame =>
  encodeFrame({ type: 'message', data: message });

/** An edit, delete or reaction, for connections with `features=changes`. */
export const changeFrame = (change: MessageChange): EncodedFrame =>
  encodeFrame({ type: 'change', data: change });

export const userListFrame = (users: string[]): EncodedFrame =>
  encodeFrame({ type: 'user_list', data: { users } });

export const typingFrame = (username: string, isTyping: boolean): EncodedFrame =>
  encodeFrame({ type: 'typing', data: { username, is_typing: isTyping } });

/** `join` or `leave`, with the original API's notice text. */
export const presenceFrame = (change: 'join' | 'leave', username: string): EncodedFrame =>
  encodeFrame({
    type: change,
    data: { username, message: `${username} ${change === 'join' ? 'joined' : 'left'} the room` },
  });

export const roomDeletedFrame = (roomId: string): EncodedFrame =>
  encodeFrame({
    type: 'room_deleted',
    data: { room_id: roomId, message: 'This room was deleted' },
  });

export const errorFrame = (code: ErrorCode, message: string, clientId?: string): EncodedFrame =>
  encodeFrame({
    type: 'error',
    data: clientId === undefined ? { code, message } : { code, message, client_id: clientId },
  });

export const resyncFrame = (data: ServerEvents['resync']): EncodedFrame =>
  encodeFrame({ type: 'resync', data });
