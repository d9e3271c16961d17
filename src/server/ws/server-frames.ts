// The one place server frames are built and serialized. A broadcast is encoded
// once and the same bytes are written to every socket.
import type { MessageChange } from '../../protocol/changes.js';
import type { ErrorCode } from '../../protocol/error-codes.js';
import type { ServerEvents, ServerFrame } from '../../protocol/frames.js';
import type { Message } from '../../protocol/rest.js';
import type { WorkspaceFrame } from '../../protocol/workspace.js';

/** A serialized server frame, ready for `ChatConnection.sendRaw`. */
export type EncodedFrame = Buffer;

export const encodeFrame = (frame: ServerFrame): EncodedFrame => Buffer.from(JSON.stringify(frame));

/**
 * `payloads` as consecutive unmasked, final WebSocket text frames (RFC 6455 5.2),
 * in one buffer: what `ws` would write for each, built once for many sockets.
 */
export function websocketTextFrames(payloads: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const payload of payloads) {
    const n = payload.length;
    const header =
      n < 126
        ? Buffer.from([0x81, n])
        : n < 65_536
          ? Buffer.from([0x81, 126, n >> 8, n & 0xff])
          : Buffer.concat([Buffer.from([0x81, 127]), bigEndian64(n)]);
    parts.push(header, payload);
  }
  return Buffer.concat(parts);
}

const bigEndian64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};

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
  Buffer.from(JSON.stringify({ type: frame.type, room_id: roomId, data: frame.data }));

/** A workspace-only frame (`hello`, `subscribed`, the room list, read state). */
export const encodeWorkspaceFrame = (frame: WorkspaceFrame): EncodedFrame =>
  Buffer.from(JSON.stringify(frame));

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
