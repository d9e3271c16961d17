// One load-generator process of bench/scale.ts: holds up to ~9,000 WebSocket
// clients (a process may open at most 20,000 files here), driven over IPC by the
// parent. It opens clients (from several 127.0.0.x source addresses, past the
// ~28,000 ephemeral ports of one), notes when each client's online list first
// held every expected user, and records the latency of stamped messages.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export const wallMs = () => performance.timeOrigin + performance.now();

export interface ClientSpec {
  /** ws://host:port/ws/chat/ROOM?username=NAME */
  url: string;
  /** Source address (127.0.0.x). */
  localAddress: string;
  /** Byte length of the complete online list; the client notes when one arrives. */
  listBytes?: number;
  /** Users the complete list holds (checked once, on a frame of `listBytes`). */
  listSize?: number;
  /** Records latencies of stamped messages. */
  listen?: boolean;
  /** Checks every message's seq (gaps, duplicates) and can resume with `since=`. */
  track?: { roomId: string; username: string };
}

export type WorkerCommand =
  | { cmd: 'open'; specs: ClientSpec[]; concurrency: number }
  | { cmd: 'status' }
  | { cmd: 'latencies' }
  | {
      cmd: 'reconnect';
      /** ws://host:port of the restarted server. */
      base: string;
      /** Per room, the newest seq acknowledged before the restart: caught up at or past it. */
      targets: Record<string, number>;
      concurrency: number;
    }
  | { cmd: 'verify'; finals: Record<string, number> }
  | { cmd: 'close' };

export interface OpenReply {
  opened: number;
  failed: number;
  firstError: string | null;
  lastOpenAt: number;
  /** Reconnect attempts that failed and were retried. */
  retried?: number;
}

const RETRIES = 5;

export interface StatusReply {
  clients: number;
  listComplete: number;
  lastListCompleteAt: number;
  frames: number;
  closedByServer: number;
  firstClose: string | null;
  caughtUp: number;
  lastCaughtUpAt: number;
  gaps: number;
  duplicates: number;
  resyncs: number;
}

export interface VerifyReply {
  /** Tracked clients whose last seq is their room's final seq. */
  complete: number;
  tracked: number;
}

/** `~S~<wall ms>~` at the start of a message's content. */
const STAMP = '"content":"~S~';

interface Held {
  ws: WebSocket;
  spec: ClientSpec;
  completeAt: number;
  closed: boolean;
  lastSeq: number;
  target: number;
  caughtUpAt: number;
}

let gaps = 0;
let duplicates = 0;
let resyncs = 0;
const SEQ = '"seq":';

const held: Held[] = [];
let frames = 0;
let firstClose: string | null = null;
/** Latency of each stamped message to each listener, in ms. */
let latencies: number[] = [];

function open(spec: ClientSpec, again?: Held, url = spec.url): Promise<Held | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      localAddress: spec.localAddress,
    });
    const h: Held = again ?? {
      ws,
      spec,
      completeAt: 0,
      closed: false,
      lastSeq: 0,
      target: 0,
      caughtUpAt: 0,
    };
    h.ws = ws;
    h.closed = false;
    ws.on('message', (buf: Buffer) => {
      frames++;
      if (spec.track) {
        if (buf[9] === 0x72) resyncs++; // {"type":"resync"
        if (buf[9] !== 0x6d) return; // not a message
        const text = buf.toString();
        const at = text.indexOf(SEQ);
        const seq = Number.parseInt(text.slice(at + SEQ.length, at + SEQ.length + 12), 10);
        if (seq <= h.lastSeq) duplicates++;
        else {
          if (seq !== h.lastSeq + 1) gaps++;
          h.lastSeq = seq;
          if (h.target && !h.caughtUpAt && seq >= h.target) h.caughtUpAt = wallMs();
        }
        return;
      }
      // {"type":"u... : a user_list frame
      if (spec.listBytes && h.completeAt === 0 && buf[9] === 0x75) {
        if (buf.length !== spec.listBytes) return;
        const frame = JSON.parse(buf.toString()) as { data?: { users?: string[] } };
        if (new Set(frame.data?.users).size === spec.listSize) h.completeAt = wallMs();
      } else if (spec.listen && buf[9] === 0x6d) {
        const text = buf.toString();
        const at = text.indexOf(STAMP);
        if (at >= 0) {
          const end = text.indexOf('~', at + STAMP.length);
          latencies.push(wallMs() - Number(text.slice(at + STAMP.length, end)));
        }
      }
    });
    ws.once('open', () => resolve(h));
    ws.once('error', (e) => resolve(String(e)));
    ws.once('close', (code, reason) => {
      if (h.ws === ws) h.closed = true;
      firstClose ??= `${code} ${reason.toString()}`;
      resolve('closed before open');
    });
  });
}

async function openAll(specs: ClientSpec[], concurrency: number): Promise<OpenReply> {
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  let lastOpenAt = 0;
  const worker = async () => {
    while (next < specs.length) {
      const r = await open(specs[next++] as ClientSpec);
      if (typeof r === 'string') {
        failed++;
        firstError ??= r;
      } else {
        held.push(r);
        lastOpenAt = wallMs();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker));
  return { opened: specs.length - failed, failed, firstError, lastOpenAt };
}

async function reconnect(
  base: string,
  targets: Record<string, number>,
  concurrency: number,
): Promise<OpenReply> {
  let retried = 0;
  for (const h of held) {
    h.target = targets[h.spec.track?.roomId ?? ''] ?? 0;
    h.caughtUpAt = 0;
  }
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  let lastOpenAt = 0;
  const worker = async () => {
    while (next < held.length) {
      const h = held[next++] as Held;
      const t = h.spec.track;
      if (!t) continue;
      const url = `${base}/ws/chat/${t.roomId}?username=${encodeURIComponent(t.username)}&since=${h.lastSeq}`;
      // As a real client: a refused or reset attempt is retried after a random backoff.
      let r = await open(h.spec, h, url);
      for (let attempt = 1; typeof r === 'string' && attempt <= RETRIES; attempt++) {
        retried++;
        firstError ??= r;
        await new Promise((done) => setTimeout(done, 250 + Math.random() * 1000 * attempt));
        r = await open(h.spec, h, url);
      }
      if (typeof r === 'string') failed++;
      else {
        lastOpenAt = wallMs();
        // Nothing to replay: caught up on opening.
        if (h.lastSeq >= h.target && !h.caughtUpAt) h.caughtUpAt = lastOpenAt;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, held.length) }, worker));
  return { opened: held.length - failed, failed, firstError, lastOpenAt, retried };
}

function verify(finals: Record<string, number>): VerifyReply {
  let complete = 0;
  let tracked = 0;
  for (const h of held) {
    const t = h.spec.track;
    if (!t) continue;
    tracked++;
    if (h.lastSeq === finals[t.roomId]) complete++;
  }
  return { complete, tracked };
}

function status(): StatusReply {
  let listComplete = 0;
  let last = 0;
  let closed = 0;
  let caughtUp = 0;
  let lastCaughtUpAt = 0;
  for (const h of held) {
    if (h.caughtUpAt) {
      caughtUp++;
      lastCaughtUpAt = Math.max(lastCaughtUpAt, h.caughtUpAt);
    }
    if (h.completeAt) {
      listComplete++;
      last = Math.max(last, h.completeAt);
    }
    if (h.closed) closed++;
  }
  return {
    clients: held.length,
    listComplete,
    lastListCompleteAt: last,
    frames,
    closedByServer: closed,
    firstClose,
    caughtUp,
    lastCaughtUpAt,
    gaps,
    duplicates,
    resyncs,
  };
}

process.on('message', async (m: WorkerCommand) => {
  const reply = (v: unknown) => process.send?.(v);
  if (m.cmd === 'open') reply(await openAll(m.specs, m.concurrency));
  else if (m.cmd === 'status') reply(status());
  else if (m.cmd === 'reconnect') reply(await reconnect(m.base, m.targets, m.concurrency));
  else if (m.cmd === 'verify') reply(verify(m.finals));
  else if (m.cmd === 'latencies') {
    reply(latencies);
    latencies = [];
  } else {
    for (const h of held) h.ws.terminate();
    reply({ ok: true });
    setTimeout(() => process.exit(0), 100);
  }
});
