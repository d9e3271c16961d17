// A WebSocket test client that records every frame and lets a test wait for
// the next one of a given type.
import WebSocket from 'ws';
import type { ServerEvents, ServerFrame } from '../../src/protocol/frames.js';

export type FrameOf<K extends keyof ServerEvents> = { type: K; data: ServerEvents[K] };

export interface Closed {
  code: number;
  reason: string;
}

export interface ConnectOptions {
  since?: number;
  /** History epoch sent with `since`. */
  epoch?: string;
  origin?: string;
  /** Extra upgrade request headers (Cookie, Authorization). */
  headers?: Record<string, string>;
  /** `features=` (e.g. `changes`: receive `change` frames). */
  features?: string;
  /** Raw query string instead of username/since (for bad-input tests). */
  query?: string;
}

export class TestClient {
  /** Every frame received, in order. */
  readonly received: ServerFrame[] = [];
  /** Frames not yet taken by `next`. */
  private readonly queue: ServerFrame[] = [];
  private waiters: (() => void)[] = [];
  readonly closed: Promise<Closed>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      // Browsers hand binary frames over as Blobs: every server frame must be text.
      if (isBinary) throw new Error(`server sent a binary frame: ${data.toString().slice(0, 80)}`);
      const frame = JSON.parse(data.toString()) as ServerFrame;
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

  /** Opens a connection; resolves once open (the server may still close it right after). */
  static connect(
    wsUrl: string,
    roomId: string,
    username: string,
    opts: ConnectOptions = {},
  ): Promise<TestClient> {
    const query =
      opts.query ??
      `username=${encodeURIComponent(username)}${opts.since === undefined ? '' : `&since=${opts.since}`}` +
        (opts.epoch === undefined ? '' : `&epoch=${encodeURIComponent(opts.epoch)}`) +
        (opts.features === undefined ? '' : `&features=${encodeURIComponent(opts.features)}`);
    const ws = new WebSocket(`${wsUrl}/ws/chat/${roomId}?${query}`, {
      headers: { ...opts.headers, ...(opts.origin ? { origin: opts.origin } : {}) },
    });
    const client = new TestClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  /** Connects and waits until the server has sent the room's user list (the join is complete). */
  static async join(
    wsUrl: string,
    roomId: string,
    username: string,
    opts: ConnectOptions = {},
  ): Promise<TestClient> {
    const client = await TestClient.connect(wsUrl, roomId, username, opts);
    await client.next('user_list');
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Takes the first queued frame of `type` (waiting for it), leaving others queued. */
  async next<K extends keyof ServerEvents>(
    type: K,
    match: (data: ServerEvents[K]) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<ServerEvents[K]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((f) => f.type === type && match(f.data as ServerEvents[K]));
      if (i >= 0) return (this.queue.splice(i, 1)[0] as FrameOf<K>).data;
      if (this.ws.readyState === WebSocket.CLOSED) {
        throw new Error(`closed while waiting for "${type}"; got ${this.tail()}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no "${type}" frame within ${timeoutMs} ms; got ${this.tail()}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Frames of `type` received so far that no `next` took. */
  pending<K extends keyof ServerEvents>(type: K): ServerEvents[K][] {
    return this.queue.filter((f) => f.type === type).map((f) => f.data as ServerEvents[K]);
  }

  /** Sends a message and waits for its echo. */
  async say(content: string, clientId?: string): Promise<ServerEvents['message']> {
    this.send({ type: 'message', content, ...(clientId ? { client_id: clientId } : {}) });
    return this.next(
      'message',
      (m) => m.content === content && (clientId === undefined || m.client_id === clientId),
    );
  }

  /** The last frames received, for a failure message (long contents cut). */
  private tail(): string {
    const text = JSON.stringify(this.received.slice(-5));
    return text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text;
  }

  async close(): Promise<Closed> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close();
    return this.closed;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Sends `total` messages of `content` as fast as the echoes come back, waiting for
 * the echo of every `every`th: a sender (and any reader) that keeps up is then never
 * more than `every` messages behind, whatever else this busy process is doing, so
 * only a client that stops reading falls behind (slow-consumer tests).
 */
export async function sendAtEchoPace(
  sender: TestClient,
  total: number,
  content: string,
  every = 20,
): Promise<void> {
  for (let i = 1; i <= total; i++) {
    const clientId = `paced-${i}`;
    sender.send({ type: 'message', content, client_id: clientId });
    if (i % every === 0 || i === total)
      await sender.next('message', (m) => m.client_id === clientId, 20_000);
  }
}

/** Polls `check` until it returns true. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
