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
  /**
   * The server process this client is connected to: a stamp `~S~<ms>~<node>~`
   * names the sender's, so latencies split into same-process and cross-process.
   */
  node?: number;
  /** Checks every message's seq (gaps, duplicates) and can resume with `since=`. */
  track?: {
    roomId: string;
    username: string;
    /**
     * Keeps every seq received, so `verify` counts exactly the messages lost,
     * duplicated and out of order (a message is a few bytes here: rooms get few).
     */
    exact?: boolean;
  };
}

export type WorkerCommand =
  | {
      cmd: 'open';
      specs: ClientSpec[];
      concurrency: number;
      /** A failed handshake is retried after a random backoff, at most this many times. */
      retries?: number;
    }
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

/** Latencies (ms) since the last `latencies` command; local/remote only with `node`. */
export interface LatencyReply {
  all: number[];
  /** The sender was on this client's server process. */
  local: number[];
  /** The message came from another process (through Redis). */
  remote: number[];
}

export interface VerifyReply {
  /** Tracked clients whose last seq is their room's final seq. */
  complete: number;
  tracked: number;
  /** Over the clients tracked with `exact`, against their room's final seq. */
  exact: ExactCounts;
}

export interface ExactCounts {
  clients: number;
  /** Clients that got seq 1 to their room's final seq, each once, in order, nothing else. */
  perfect: number;
  /** Clients that received at least one message. */
  receivedAny: number;
  /** Sum of the final seqs of the clients' rooms: every message to every member. */
  expected: number;
  /** Message frames received. */
  received: number;
  /** Seqs up to the room's final seq that never arrived. */
  lost: number;
  /** Message frames whose seq had already arrived. */
  duplicated: number;
  /** Message frames (first arrivals) with a seq below one that had already arrived. */
  outOfOrder: number;
  /** Seqs past the room's final seq (a message nobody counted as sent). */
  beyondFinal: number;
}

/** Counts before any client: every field zero. */
export function noCounts(): ExactCounts {
  return {
    clients: 0,
    perfect: 0,
    receivedAny: 0,
    expected: 0,
    received: 0,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    beyondFinal: 0,
  };
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
  /** With `track.exact`: every seq received, and this client's own counts. */
  seen: Set<number> | null;
  messages: number;
  duplicated: number;
  outOfOrder: number;
}

let gaps = 0;
let duplicates = 0;
let resyncs = 0;
const SEQ = '"seq":';

const held: Held[] = [];
let frames = 0;
let firstClose: string | null = null;
/** Latency of each stamped message to each listener, in ms. */
let latencies: LatencyReply = { all: [], local: [], remote: [] };

function recordLatency(text: string, node: number | undefined) {
  const at = text.indexOf(STAMP);
  if (at < 0) return;
  const end = text.indexOf('~', at + STAMP.length);
  const ms = wallMs() - Number(text.slice(at + STAMP.length, end));
  latencies.all.push(ms);
  if (node === undefined) return;
  const from = Number.parseInt(text.slice(end + 1, end + 4), 10);
  if (Number.isNaN(from)) return;
  (from === node ? latencies.local : latencies.remote).push(ms);
}

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
      seen: spec.track?.exact ? new Set() : null,
      messages: 0,
      duplicated: 0,
      outOfOrder: 0,
    };
    h.ws = ws;
    h.closed = false;
    let opened = false;
    ws.on('message', (buf: Buffer) => {
      frames++;
      if (spec.track) {
        if (buf[9] === 0x72) resyncs++; // {"type":"resync"
        if (buf[9] !== 0x6d) return; // not a message
        const text = buf.toString();
        const at = text.indexOf(SEQ);
        const seq = Number.parseInt(text.slice(at + SEQ.length, at + SEQ.length + 12), 10);
        h.messages++;
        if (h.seen) {
          if (h.seen.has(seq)) h.duplicated++;
          else {
            if (seq < h.lastSeq) h.outOfOrder++;
            h.seen.add(seq);
          }
        }
        if (spec.listen) recordLatency(text, spec.node);
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
      } else if (spec.listen && buf[9] === 0x6d) recordLatency(buf.toString(), spec.node);
    });
    ws.once('open', () => {
      opened = true;
      resolve(h);
    });
    ws.once('error', (e) => resolve(String(e)));
    ws.once('close', (code, reason) => {
      if (h.ws === ws) h.closed = true;
      // A failed handshake is reported as its error, not as a close.
      if (opened) firstClose ??= `${code} ${reason.toString()}`;
      resolve('closed before open');
    });
  });
}

async function openAll(
  specs: ClientSpec[],
  concurrency: number,
  retries: number,
): Promise<OpenReply> {
  let next = 0;
  let failed = 0;
  let retried = 0;
  let firstError: string | null = null;
  let lastOpenAt = 0;
  const worker = async () => {
    while (next < specs.length) {
      const spec = specs[next++] as ClientSpec;
      let r = await open(spec);
      // As a real client: a refused or reset handshake is retried after a random backoff.
      for (let attempt = 1; typeof r === 'string' && attempt <= retries; attempt++) {
        retried++;
        firstError ??= r;
        await new Promise((done) => setTimeout(done, 250 + Math.random() * 1000 * attempt));
        r = await open(spec);
      }
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
  return { opened: specs.length - failed, failed, firstError, lastOpenAt, retried };
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
  const exact = noCounts();
  for (const h of held) {
    const t = h.spec.track;
    if (!t) continue;
    tracked++;
    if (h.lastSeq === finals[t.roomId]) complete++;
    if (!h.seen) continue;
    const final = finals[t.roomId] ?? 0;
    let inRange = 0;
    for (const seq of h.seen) if (seq >= 1 && seq <= final) inRange++;
    const beyond = h.seen.size - inRange;
    exact.clients++;
    exact.expected += final;
    exact.received += h.messages;
    exact.lost += final - inRange;
    exact.duplicated += h.duplicated;
    exact.outOfOrder += h.outOfOrder;
    exact.beyondFinal += beyond;
    if (h.messages > 0) exact.receivedAny++;
    if (inRange === final && beyond === 0 && h.duplicated === 0 && h.outOfOrder === 0) {
      exact.perfect++;
    }
  }
  return { complete, tracked, exact };
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
  if (m.cmd === 'open') reply(await openAll(m.specs, m.concurrency, m.retries ?? 0));
  else if (m.cmd === 'status') reply(status());
  else if (m.cmd === 'reconnect') reply(await reconnect(m.base, m.targets, m.concurrency));
  else if (m.cmd === 'verify') reply(verify(m.finals));
  else if (m.cmd === 'latencies') {
    reply(latencies);
    latencies = { all: [], local: [], remote: [] };
  } else {
    for (const h of held) h.ws.terminate();
    reply({ ok: true });
    setTimeout(() => process.exit(0), 100);
  }
});
