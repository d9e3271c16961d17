// A WebSocket client that survives a server restart the way the web client does
// (src/client/room-session.ts): it reconnects with `since=<newest seq it has>`,
// resends every message not yet echoed with the same client_id, and keeps one
// entry per seq. It records whatever would be wrong for a user: a gap or a
// reordering in what it received, an error frame. When it was away for more
// than the server replays (a `resync` with reason `replay_limit`), it fetches what
// it missed over REST, holding live frames until then, as a client that keeps its
// whole timeline must.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { ServerFrame } from '../../src/protocol/frames.js';
import type { Message } from '../../src/protocol/rest.js';
import { history } from './api.js';
import { sleep } from './ws-client.js';

export class ResumingClient {
  /** Confirmed messages, one per seq, in the order they arrived. */
  readonly timeline: Message[] = [];
  /** Sent and not yet echoed: client_id → content. */
  readonly outbox = new Map<string, string>();
  /** Every client_id this client sent, in order. */
  readonly sent: string[] = [];
  /** Our messages as the server confirmed them: client_id → message. */
  readonly acked = new Map<string, Message>();
  /** Things a user would notice: gaps, reorderings, error frames. */
  readonly problems: string[] = [];
  /** Close codes of the connections this client lost. */
  readonly drops: number[] = [];
  connections = 0;
  /** Connection attempts that got no answer at all within the handshake timeout. */
  stalls = 0;
  /** Resumes answered with `resync` (reason `replay_limit`) and caught up over REST. */
  resyncs = 0;
  /** Opens, closes and failed attempts, for a failure message (see `story`). */
  private readonly log: { at: number; event: string; times: number }[] = [];
  private ws: WebSocket | undefined;
  /** Frames that arrived while catching up over REST, applied after it. */
  private held: ServerFrame[] | undefined;
  private reconnecting = false;
  private stopped = false;

  private constructor(
    private readonly wsUrl: string,
    private readonly roomId: string,
    readonly username: string,
  ) {}

  static async open(wsUrl: string, roomId: string, username: string): Promise<ResumingClient> {
    const client = new ResumingClient(wsUrl, roomId, username);
    await client.connectUntilOpen();
    return client;
  }

  get lastSeq(): number {
    return this.timeline[this.timeline.length - 1]?.seq ?? 0;
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Queues a message and sends it now if connected (else on the next connection). */
  send(content: string): string {
    const clientId = `${this.username}-${this.sent.length}-${randomUUID().slice(0, 8)}`;
    this.sent.push(clientId);
    this.outbox.set(clientId, content);
    if (this.isOpen) this.transmit(clientId, content);
    return clientId;
  }

  /** Stops reconnecting and closes the connection. */
  async close(): Promise<void> {
    this.stopped = true;
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close();
    });
  }

  /** Stops reconnecting, leaving the connection as it is (for a server that is stopping). */
  stopReconnecting(): void {
    this.stopped = true;
  }

  private transmit(clientId: string, content: string): void {
    this.ws?.send(JSON.stringify({ type: 'message', content, client_id: clientId }));
  }

  private async connectUntilOpen(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.stopped) return;
      try {
        await this.connectOnce();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(50);
      }
    }
  }

  private connectOnce(): Promise<void> {
    const url = `${this.wsUrl}/ws/chat/${this.roomId}?username=${encodeURIComponent(this.username)}&since=${this.lastSeq}`;
    // Like the web client's connect timeout, so that an attempt accepted and then
    // never answered (see cluster.ts on scheduling) is counted, not waited for.
    const ws = new WebSocket(url, { handshakeTimeout: 5_000 });
    // Listeners first: the first frames may come in the same packet as the handshake.
    ws.on('message', (data) => this.onFrame(JSON.parse(data.toString()) as ServerFrame));
    const startedAt = Date.now();
    return new Promise((resolve, reject) => {
      ws.once('error', (error) => {
        if (/handshake has timed out/.test(error.message)) this.stalls++;
        this.note(`failed (${error.message})`);
        reject(error);
      });
      ws.once('open', () => {
        ws.removeAllListeners('error');
        ws.on('error', () => {
          // a close event follows
        });
        this.note(`open after ${Date.now() - startedAt} ms, since=${this.lastSeq}`);
        this.ws = ws;
        this.connections++;
        ws.once('close', (code) => this.onClose(code));
        // As the web client does on every open: resend what was never echoed.
        for (const [clientId, content] of this.outbox) this.transmit(clientId, content);
        resolve();
      });
    });
  }

  /** Repeats of one event in a row (a refused attempt every 50 ms) are counted, not listed. */
  private note(event: string): void {
    const last = this.log.at(-1);
    if (last?.event === event) last.times++;
    else this.log.push({ at: Date.now(), event, times: 1 });
  }

  /** How this client's connections went: one line, for a failure message. */
  story(): string {
    const events = this.log.map(
      (e) => `${e.at % 100_000} ${e.event}${e.times > 1 ? ` ×${e.times}` : ''}`,
    );
    return `${this.username}: ${events.join(' | ')}`;
  }

  private onFrame(frame: ServerFrame): void {
    if (this.held) {
      this.held.push(frame);
      return;
    }
    if (frame.type === 'error') {
      this.problems.push(`error frame ${JSON.stringify(frame.data)}`);
      return;
    }
    if (frame.type === 'resync') {
      // Any other reason means the server's history changed under us: a problem here.
      if (frame.data.reason !== 'replay_limit') {
        this.problems.push(`resync ${JSON.stringify(frame.data)}`);
        return;
      }
      this.resyncs++;
      this.note(`resync at ${this.lastSeq}, latest ${frame.data.latest_seq}`);
      const held: ServerFrame[] = [];
      this.held = held;
      this.catchUp(frame.data.latest_seq)
        .catch((error: unknown) => this.problems.push(`could not catch up: ${String(error)}`))
        .finally(() => {
          this.held = undefined;
          for (const f of held) this.onFrame(f);
        });
      return;
    }
    if (frame.type === 'message') this.onMessage(frame.data);
  }

  /** Fetches every message up to `latest` over REST, a page at a time. */
  private async catchUp(latest: number): Promise<void> {
    const baseUrl = this.wsUrl.replace(/^ws/, 'http');
    while (this.lastSeq < latest) {
      const page = await history(baseUrl, this.roomId, `?after=${this.lastSeq}&limit=1000`);
      if (page.length === 0)
        throw new Error(`nothing after ${this.lastSeq}, resync said ${latest}`);
      for (const m of page) if (m.seq <= latest) this.onMessage(m);
    }
  }

  private onMessage(m: Message): void {
    if (m.client_id !== undefined && m.username === this.username && this.outbox.has(m.client_id)) {
      this.outbox.delete(m.client_id);
      this.acked.set(m.client_id, m);
    }
    // An echo of a resend the server had already stored: known, not a new message.
    if (m.seq <= this.lastSeq) {
      const known = this.timeline.find((t) => t.seq === m.seq);
      if (known?.id !== m.id) this.problems.push(`seq ${m.seq} arrived again as another message`);
      return;
    }
    if (m.seq !== this.lastSeq + 1) this.problems.push(`gap: seq ${m.seq} after ${this.lastSeq}`);
    this.timeline.push(m);
  }

  private onClose(code: number): void {
    this.ws = undefined;
    this.note(`closed ${code} at ${this.lastSeq}`);
    this.drops.push(code);
    if (this.stopped || this.reconnecting) return;
    this.reconnecting = true;
    void this.connectUntilOpen()
      .catch((error: unknown) => this.problems.push(`could not reconnect: ${String(error)}`))
      .finally(() => {
        this.reconnecting = false;
      });
  }
}
