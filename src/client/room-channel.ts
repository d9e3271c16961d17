// What a room session needs from its connection. A ChatClient (one WebSocket per
// room, `/ws/chat/{room_id}`) is one; a room on the tab's shared workspace socket
// (workspace-room-channel.ts) is the other. The session's resume and outbox logic
// runs the same over both.
import type { ClientFrame, ServerEvents } from '../protocol/frames.js';
import type { ConnectionState } from './chat-client.js';
import type { Unsubscribe } from './emitter.js';

export interface RoomChannel {
  readonly state: ConnectionState;
  readonly maxAttempts: number;
  on<K extends keyof ServerEvents>(type: K, fn: (data: ServerEvents[K]) => void): Unsubscribe;
  onState(fn: (state: ConnectionState) => void): Unsubscribe;
  connect(): void;
  retryNow(): void;
  /** Starts over: history loaded again (when invalidated) and the room resumed from there. */
  restart(): void;
  send(frame: ClientFrame): boolean;
  close(): void;
}

/** What the session gives its channel: where to resume and what to do before each attempt. */
export interface RoomChannelHooks {
  /** The resume point (undefined: live only). */
  getSince: () => number | undefined;
  /** The history epoch `getSince()` belongs to, when known. */
  getEpoch: () => string | undefined;
  /** Runs before every attempt (loads history); a FatalConnectError ends the channel. */
  prepare: () => Promise<void>;
}

export type RoomChannelFactory = (hooks: RoomChannelHooks) => RoomChannel;
