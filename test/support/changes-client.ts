// A `/ws/chat/{room_id}` client with `features=changes` that keeps its own copy
// of the room in a TimelineModel, resumes with `since=<its position>&epoch=` on
// every connection, and records what a user would notice as wrong: a log entry
// out of seq order, the same entry under two seqs, an entry delivered twice that
// it never asked for twice, a retry answered with another change than the first.
import WebSocket from 'ws';
import { EPOCH_HEADER } from '../../src/protocol/frames.js';
import type { LiveMessage, LogFrame } from './timeline-model.js';
import { TimelineModel } from './timeline-model.js';
import { eventually } from './ws-client.js';

/** A frame as it came off the wire (the server's union may not declare `change` yet). */
export interface WireFrame {
  type: string;
  data: unknown;
}

/** The answer a frame with a `client_id` got: the stored entry, or an error code. */
export type Answer = { id: string; seq: number } | { error: string };

export interface ConnectOptions {
  /** `since=`; default: the client's position (0 before its first frame). */
  since?: number;
  /** Another process of the same deployment to connect to. */
  wsUrl?: string;
}

export class ChangesClient {
  readonly model = new TimelineModel();
  /** Every frame received, over all connections, in order. */
  readonly received: WireFrame[] = [];
  /** What a user would notice as wrong (see `problems`). */
  private readonly issues: string[] = [];
  /**
   * Retries answered MESSAGE_NOT_FOUND: right when their message was deleted
   * meanwhile, which the delete's own frame may tell this client only after.
   */
  private readonly erasedRetries: { clientId: string; target: string; text: string }[] = [];
  /** Error frames received (code and client_id). */
  readonly errors: { code: string; client_id?: string }[] = [];
  /** First answer to each client_id this client sent. */
  readonly answers = new Map<string, Answer>();
  /** client_ids sent and not answered on the connection they were sent on. */
  readonly pending = new Set<string>();
  /** The history epoch sent with `since` (set from REST, updated by `resync`). */
  epoch: string | undefined;
  /** Highest seq received in order: where the next connection resumes. */
  position = 0;
  private readonly seqOf = new Map<string, number>();
  private readonly sentTwice = new Set<string>();
  private readonly sentOnce = new Set<string>();
  /** client_id → the message a change frame was about. */
  private readonly targetOf = new Map<string, string>();
  private connectionLast = 0;
  private ws: WebSocket | undefined;
  private counter = 0;

  constructor(
    private wsUrl: string,
    readonly roomId: string,
    readonly username: string,
    readonly features = 'changes',
  ) {}

  /** What a user would notice as wrong, judged by what the client holds now. */
  get problems(): string[] {
    return [
      ...this.issues,
      ...this.erasedRetries
        .filter((r) => this.model.get(r.target) !== undefined)
        .map((r) => r.text),
    ];
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Reads the room's epoch from REST history (the web client does this before resuming). */
  async loadEpoch(baseUrl: string): Promise<void> {
    const res = await fetch(`${baseUrl}/api/chat/rooms/${this.roomId}/messages?limit=1`);
    this.epoch = res.headers.get(EPOCH_HEADER) ?? undefined;
  }

  /** Seeds the model from REST history (current state) and resumes after its newest message. */
  seed(messages: readonly LiveMessage[]): void {
    for (const m of messages) this.model.applyMessage(m);
    this.position = messages.at(-1)?.seq ?? 0;
  }

  /** Opens a connection resuming from `since` (default: the position) and waits for `user_list`. */
  async connect(opts: ConnectOptions = {}): Promise<void> {
    if (opts.wsUrl) this.wsUrl = opts.wsUrl;
    const since = opts.since ?? this.position;
    const query = new URLSearchParams({ username: this.username, since: String(since) });
    if (this.features) query.set('features', this.features);
    if (this.epoch) query.set('epoch', this.epoch);
    const ws = new WebSocket(`${this.wsUrl}/ws/chat/${this.roomId}?${query}`);
    this.connectionLast = since;
    this.pending.clear();
    let joined: () => void = () => {};
    const userList = new Promise<void>((resolve) => {
      joined = resolve;
    });
    // Listeners first: the replay may come in the same packet as the handshake.
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as WireFrame;
      if (ws === this.ws || this.ws === undefined) this.onFrame(frame);
      if (frame.type === 'user_list') joined();
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => {
      // a close event follows
    });
    this.ws = ws;
    await userList;
  }

  /** Closes the connection (what was sent and not answered has an unknown fate). */
  async disconnect(): Promise<void> {
    const ws = this.ws;
    this.ws = undefined;
    this.pending.clear();
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close();
    });
  }

  /** A fresh idempotency key. */
  nextClientId(): string {
    this.counter += 1;
    return `${this.username}-${this.counter}`;
  }

  /**
   * Sends a frame carrying `client_id` (sending the same key again is a retry,
   * and its duplicate answer is expected). Returns false when not connected.
   */
  send(frame: { client_id: string; [key: string]: unknown }): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    if (this.sentOnce.has(frame.client_id)) this.sentTwice.add(frame.client_id);
    this.sentOnce.add(frame.client_id);
    this.pending.add(frame.client_id);
    if (typeof frame.message_id === 'string') this.targetOf.set(frame.client_id, frame.message_id);
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Waits until every frame sent on this connection was answered. */
  settle(timeoutMs = 10_000): Promise<void> {
    return eventually(
      () => this.pending.size === 0,
      timeoutMs,
      `${this.username}'s answers (${[...this.pending].join(', ')})`,
    );
  }

  private onFrame(frame: WireFrame): void {
    this.received.push(frame);
    if (frame.type === 'message' || frame.type === 'change') {
      this.onLogFrame(frame as LogFrame);
    } else if (frame.type === 'error') {
      const data = frame.data as { code: string; client_id?: string };
      this.errors.push({ code: data.code, client_id: data.client_id });
      if (data.client_id !== undefined) this.answer(data.client_id, { error: data.code });
    } else if (frame.type === 'resync') {
      const data = frame.data as { epoch: string };
      this.epoch = data.epoch;
      this.issues.push(`resync ${JSON.stringify(frame.data)}`);
    }
  }

  private onLogFrame(frame: LogFrame): void {
    const entry = frame.data;
    const ours = entry.username === this.username && entry.client_id !== undefined;
    if (ours && entry.client_id !== undefined) {
      this.answer(entry.client_id, { id: entry.id, seq: entry.seq });
    }
    const known = this.seqOf.get(entry.id);
    if (known !== undefined && known !== entry.seq) {
      this.issues.push(`${frame.type} ${entry.id} came as seq ${entry.seq} after ${known}`);
    }
    // A retry's answer repeats an entry at any point, even before the replay
    // reaches it; it is not a step in the log.
    const retried = ours && this.sentTwice.has(entry.client_id ?? '');
    if (!retried) {
      if (known !== undefined) {
        this.issues.push(`${frame.type} seq ${entry.seq} delivered twice`);
      } else if (entry.seq <= this.connectionLast) {
        this.issues.push(`${frame.type} seq ${entry.seq} after seq ${this.connectionLast}`);
      } else {
        this.connectionLast = entry.seq;
        this.position = Math.max(this.position, entry.seq);
      }
    }
    this.seqOf.set(entry.id, entry.seq);
    this.model.apply(frame);
  }

  private answer(clientId: string, answer: Answer): void {
    this.pending.delete(clientId);
    const first = this.answers.get(clientId);
    if (!first) {
      this.answers.set(clientId, answer);
      return;
    }
    if (JSON.stringify(first) === JSON.stringify(answer)) return;
    const text = `retry of ${clientId} answered ${JSON.stringify(answer)}, first ${JSON.stringify(first)}`;
    // Deleting a message erases its changes with it (their edit texts are its
    // content), so a retry of one can only be told the message is gone.
    const target = this.targetOf.get(clientId);
    if ('error' in answer && answer.error === 'MESSAGE_NOT_FOUND' && target !== undefined) {
      this.erasedRetries.push({ clientId, target, text });
    } else {
      this.issues.push(text);
    }
  }
}
