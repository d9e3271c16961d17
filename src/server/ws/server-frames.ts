// The one place server frames are built and serialized. A broadcast is encoded
// once and the same bytes are written to every socket.
import type { MessageChange } from '../../protocol/changes.js';
import type { ErrorCode } from '../../protocol/error-codes.js';
import type { ServerEvents, ServerFrame } from '../../protocol/frames.js';
import type { Message } from '../../protocol/rest.js';
import type { WorkspaceFrame } from '../../protocol/workspace.js';

/**
 * A server frame as it goes on the wire: one unmasked, final WebSocket text frame
 * (RFC 6455 5.2), header and JSON payload in one buffer. It is built once, and each
 * socket gets the same bytes in one write (`ChatConnection.sendRaw`), where `ws`
 * would build a header and make two writes per socket.
 */
export type EncodedFrame = Buffer;

/** `json` as a WebSocket text frame, in one allocation. */
export function textFrame(json: string): EncodedFrame {
  const n = Buffer.byteLength(json);
  const header = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + n);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (header === 2) {
    frame[1] = n;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  frame.write(json, header);
  return frame;
}

export const encodeFrame = (frame: ServerFrame): EncodedFrame => textFrame(JSON.stringify(frame));

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
export const presenceNotice = (change: 'join' | 'leave', username: string): ServerFrame => ({
  type: change,
  data: { username, message: `${username} ${change === 'join' ? 'joined' : 'left'} the room` },
});

export const presenceFrame = (change: 'join' | 'leave', username: string): EncodedFrame =>
  encodeFrame(presenceNotice(change, username));

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

/**
 * How a room's frames look on a socket: `chat` as on `/ws/chat/{room_id}`,
 * `workspace` with the room named next to `type` (`/ws/workspace` multiplexes rooms).
 */
export type FrameFlavour = 'chat' | 'workspace';

/** A room frame for a workspace socket: `{"type", "room_id", "data"}`. */
export const encodeRoomFrame = (roomId: string, frame: ServerFrame): EncodedFrame =>
  textFrame(JSON.stringify({ type: frame.type, room_id: roomId, data: frame.data }));

/** A workspace-only frame (`hello`, `subscribed`, the room list, read state). */
export const encodeWorkspaceFrame = (frame: WorkspaceFrame): EncodedFrame =>
  textFrame(JSON.stringify(frame));

/**
 * One broadcast of a room, encoded at most once per flavour, and only for the
 * flavours its members use: a room frame is serialized once, or twice when both
 * `/ws/chat` and workspace sockets are in the room, never once per member.
 */
export class RoomFrame {
  private chat: EncodedFrame | undefined;
  private workspace: EncodedFrame | undefined;

  constructor(
    readonly roomId: string,
    readonly frame: ServerFrame,
  ) {}

  for(flavour: FrameFlavour): EncodedFrame {
    if (flavour === 'chat') {
      this.chat ??= encodeFrame(this.frame);
      return this.chat;
    }
    this.workspace ??= encodeRoomFrame(this.roomId, this.frame);
    return this.workspace;
  }
}
