import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { CloseCode } from '../../protocol/error-codes.js';
import { type BusEvent, ROOMS_TOPIC } from '../bus/bus-events.js';
import type { MessageBus, Unsubscribe } from '../bus/message-bus.js';
import { readerTopic } from '../domain/reader.js';
import type { ChatStore } from '../storage/chat-store.js';
import type { ChatConnection, ConnectionLimits } from './connection.js';
import { encodeWorkspaceFrame } from './server-frames.js';
import type { WorkspaceContext } from './workspace-context.js';
import { type WorkspaceIdentity, WorkspaceSocket } from './workspace-socket.js';

/**
 * The workspace sockets of this process (`/ws/workspace`): opens them, and
 * pushes the room list to those that may see each room (one bus subscription
 * for the process, each frame encoded once) and each reader's frames to that
 * reader's sockets.
 */
export class Workspace {
  private readonly sockets = new Set<WorkspaceSocket>();
  /** The room-list subscription, held while this process has workspace sockets. */
  private unsubscribeRooms: Unsubscribe | null = null;
  private readonly stopRefreshing: Unsubscribe;

  constructor(
    private readonly ctx: WorkspaceContext,
    private readonly bus: MessageBus,
    private readonly store: ChatStore,
    private readonly limits: ConnectionLimits,
  ) {
    // Room-list and reader frames are not sequenced, so a bus outage may have lost
    // some: every socket reads both lists again (rooms catch up on their own).
    this.stopRefreshing = bus.onReconnect(() => {
      const frame = encodeWorkspaceFrame({ type: 'refresh', data: { reason: 'bus_outage' } });
      for (const socket of this.sockets) socket.push(frame);
    });
  }

  /** Every workspace socket's connection (heartbeats, session checks, shutdown). */
  *connections(): Iterable<ChatConnection> {
    for (const socket of this.sockets) yield socket.conn;
  }

  socketCount(): number {
    return this.sockets.size;
  }

  /**
   * Sets up an accepted socket (paused until now): reader topic, `hello`, then
   * reading. Resolves when it is ready; it closes on its own.
   */
  async open(ws: WebSocket, transport: Duplex, identity: WorkspaceIdentity): Promise<void> {
    const socket = new WorkspaceSocket(ws, transport, identity, this.limits, this.ctx);
    this.sockets.add(socket);
    this.unsubscribeRooms ??= this.bus.subscribe(ROOMS_TOPIC, (event) => this.onRoomListed(event));
    const topic = readerTopic(identity.reader.key);
    const unsubscribeReader = this.bus.subscribe(topic, (event) => {
      if (event.type === 'reader') socket.push(encodeWorkspaceFrame(event.frame));
    });
    ws.on('close', () => {
      if (socket.conn.closeCode === CloseCode.SLOW_CONSUMER) this.ctx.metrics?.slowConsumers.inc();
      this.sockets.delete(socket);
      if (this.sockets.size === 0) this.stopRoomList();
      unsubscribeReader();
      socket.closed();
    });
    const [epoch] = await Promise.all([
      this.store.epoch(),
      this.bus.subscribed(topic),
      this.bus.subscribed(ROOMS_TOPIC),
    ]);
    socket.greet(
      encodeWorkspaceFrame({ type: 'hello', data: { username: identity.username, epoch } }),
    );
    ws.resume();
  }

  private onRoomListed(event: BusEvent): void {
    if (event.type !== 'room_listed') return;
    const frame = encodeWorkspaceFrame(
      event.change === 'removed'
        ? { type: 'room_removed', data: { room_id: event.room.id } }
        : { type: event.change === 'created' ? 'room_created' : 'room_updated', data: event.room },
    );
    for (const socket of this.sockets) {
      if (socket.maySee(event.members)) socket.push(frame);
    }
  }

  private stopRoomList(): void {
    this.unsubscribeRooms?.();
    this.unsubscribeRooms = null;
  }

  close(): void {
    this.stopRefreshing();
    this.stopRoomList();
  }
}
