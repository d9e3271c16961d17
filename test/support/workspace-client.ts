// A `/ws/workspace` test client: records every frame (room-scoped ones carry
// `room_id`) and lets a test wait for the next one of a type, in a room.
import WebSocket from 'ws';
import type { Message } from '../../src/protocol/rest.js';
import type { Closed } from './ws-client.js';

export interface WorkspaceFrame {
  type: string;
  room_id?: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever data the frame type has
  data: any;
}

export interface WorkspaceConnectOptions {
  headers?: Record<string, string>;
  /** Raw query string instead of `username=` (for bad-input tests). */
  query?: string;
}

export interface SubscribeOptions {
  since?: number;
  epoch?: string;
  presence?: boolean;
}

export class WorkspaceClient {
  readonly received: WorkspaceFrame[] = [];
  private readonly queue: WorkspaceFrame[] = [];
  private waiters: (() => void)[] = [];
  readonly closed: Promise<Closed>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('server sent a binary frame');
      const frame = JSON.parse(data.toString()) as WorkspaceFrame;
      this.received.push(frame);
      this.queue.push(frame);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  /** Opens the socket and waits for `hello`. */
  static async open(
    wsUrl: string,
    username: string,
    opts: WorkspaceConnectOptions = {},
  ): Promise<WorkspaceClient> {
    const client = await WorkspaceClient.connect(wsUrl, username, opts);
    await client.next('hello');
    return client;
  }

  static connect(
    wsUrl: string,
    username: string,
    opts: WorkspaceConnectOptions = {},
  ): Promise<WorkspaceClient> {
    const query = opts.query ?? `username=${encodeURIComponent(username)}`;
    const ws = new WebSocket(`${wsUrl}/ws/workspace?${query}`, { headers: opts.headers ?? {} });
    const client = new WorkspaceClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Subscribes and waits for `subscribed`; returns its data. */
  async subscribe(
    roomId: string,
    opts: SubscribeOptions = {},
  ): Promise<{ room_id: string; latest_seq: number; epoch: string }> {
    this.send({ type: 'subscribe', room_id: roomId, ...opts });
    return this.next('subscribed', (d) => d.room_id === roomId);
  }

  /** Takes the first queued frame of `type` (in `roomId` when given) whose data matches. */
  async next(
    type: string,
    // biome-ignore lint/suspicious/noExplicitAny: see WorkspaceFrame.data
    match: (data: any, frame: WorkspaceFrame) => boolean = () => true,
    timeoutMs = 5_000,
    // biome-ignore lint/suspicious/noExplicitAny: see WorkspaceFrame.data
  ): Promise<any> {
    return (await this.nextFrame(type, match, timeoutMs)).data;
  }

  /** Like `next`, the whole frame (envelope included). */
  async nextFrame(
    type: string,
    // biome-ignore lint/suspicious/noExplicitAny: see WorkspaceFrame.data
    match: (data: any, frame: WorkspaceFrame) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<WorkspaceFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((f) => f.type === type && match(f.data, f));
      if (i >= 0) return this.queue.splice(i, 1)[0] as WorkspaceFrame;
      if (this.ws.readyState === WebSocket.CLOSED) {
        throw new Error(`closed while waiting for "${type}"; got ${this.tail()}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${type}" within ${timeoutMs} ms; got ${this.tail()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** A room's message frame with `content`. */
  message(roomId: string, content: string): Promise<Message> {
    return this.next('message', (m: Message, f) => f.room_id === roomId && m.content === content);
  }

  /** Sends a message in a room and waits for its echo. */
  async say(roomId: string, content: string, clientId?: string): Promise<Message> {
    this.send({
      type: 'message',
      room_id: roomId,
      content,
      ...(clientId ? { client_id: clientId } : {}),
    });
    return this.message(roomId, content);
  }

  /** An error frame (in `roomId` when given: `null` means one without `room_id`). */
  error(roomId?: string | null): Promise<WorkspaceFrame> {
    return this.nextFrame(
      'error',
      (_d, f) => roomId === undefined || f.room_id === (roomId ?? undefined),
    );
  }

  /** Frames received so far of `type` (optionally in one room). */
  all(type: string, roomId?: string): WorkspaceFrame[] {
    return this.received.filter(
      (f) => f.type === type && (roomId === undefined || f.room_id === roomId),
    );
  }

  private tail(): string {
    return JSON.stringify(this.received.slice(-5));
  }

  async close(): Promise<Closed> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close();
    return this.closed;
  }
}
