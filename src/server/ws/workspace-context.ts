import type { FrameLimits } from '../../protocol/validate.js';
import type { Actor, UserActor } from '../domain/actor.js';
import type { Reader } from '../domain/reader.js';
import type { RoomPresence } from '../domain/room-presence.js';
import type { Metrics } from '../metrics.js';
import type { ChatStore } from '../storage/chat-store.js';
import type { Logger } from '../util/logger.js';
import type { ChatConnection } from './connection.js';
import type { RoomFrameHandler } from './dispatch.js';
import type { RoomHub } from './room-hub.js';
import type { WriteCoalescer } from './write-coalescer.js';

/** Where `read` frames go (SidebarService, domain/sidebar.ts). */
export interface ReadPositions {
  setRead(actor: Actor, reader: Reader, roomId: string, seq: number): Promise<unknown>;
}

/** What every workspace socket of a process shares. */
export interface WorkspaceContext {
  store: ChatStore;
  hub: RoomHub;
  presence: RoomPresence;
  handleRoomFrame: RoomFrameHandler;
  /** Whether the account (null: open mode) may see the room (unknown rooms: false). */
  canSee(account: UserActor | null, roomId: string): Promise<boolean>;
  readPositions: ReadPositions | null;
  limits: FrameLimits;
  maxSubscriptions: number;
  replayLimit: number;
  coalescer: WriteCoalescer;
  /** The connection's inbound frames started or stopped waiting for the rate limit. */
  backlog(conn: ChatConnection, waiting: boolean): void;
  log: Logger;
  metrics?: Metrics | undefined;
}
