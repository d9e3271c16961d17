// The load generator: opens WebSocket clients into rooms of a server under test,
// sends stamped messages (in-flight window or fixed rate) and checks every
// delivery for latency, loss, duplication and order. One code path measures
// Parley, the bare ws baseline and the Socket.IO baseline: only the wire
// envelope differs (Socket.IO frames are `42["type",{frame}]` engine.io packets,
// spoken here directly so the client side costs the same for every server).
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import WebSocket from 'ws';
import { uuidv7 } from '../src/protocol/uuid7.js';
import { SESSION_COOKIE } from '../src/server/domain/credentials.js';
import { machineBusyMs, selfCpuMs } from './proc.js';
import type { RunningServer, ServerKind } from './servers.js';

/* ------------------------------------------------------------------ helpers */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Microseconds on this process's monotonic clock (shared by senders and receivers). */
const nowUs = () => Math.round(performance.now() * 1000);

export function newHistogram() {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
}
export type Histogram = ReturnType<typeof newHistogram>;

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Percentiles in milliseconds from a histogram of microseconds. */
export function summarize(h: Histogram): LatencySummary {
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
  };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export interface HttpResult {
  status: number;
  body: string;
}

/** A plain keep-alive HTTP request (cheaper per call than fetch). */
export function httpRequest(
  url: string,
  method = 'GET',
  body?: string,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: body ? { 'content-type': 'application/json', ...headers } : headers,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The `Cookie` header of a browser signed in with this session (accounts mode). */
export const sessionCookie = (token: string): string => `${SESSION_COOKIE}=${token}`;

/**
 * Creates a room. In accounts mode as the admin, signed in with its session cookie
 * and sending the server's own `Origin` as a browser does (the CSRF rule); the
 * room is public (the default), so every account may join it.
 */
export async function createRoom(server: RunningServer, name: string): Promise<string> {
  const auth = server.accounts;
  const res = await httpRequest(
    `${server.httpUrl}/api/chat/rooms`,
    'POST',
    JSON.stringify({ name }),
    auth ? { cookie: sessionCookie(auth.admin), origin: server.httpUrl } : {},
  );
  if (res.status !== 201) throw new Error(`creating a room failed: ${res.status} ${res.body}`);
  return (JSON.parse(res.body) as { id: string }).id;
}

export async function createRooms(server: RunningServer, count: number): Promise<string[]> {
  return pool(
    Array.from({ length: count }, (_, i) => i),
    16,
    (i) => createRoom(server, `bench ${i}`),
  );
}

/* ------------------------------------------------------------------ clients */

const SIO_PING = 0x32; // '2'
const SIO_OPEN = 0x30; // '0'
const SIO_MESSAGE = 0x34; // '4'
const SIO_EVENT = 0x32; // '42'
const SIO_CONNECT = 0x30; // '40'

/** Where the frame's `type` string starts: `{"type":"` or `42["`. */
const TYPE_OFFSET: Record<ServerKind, number> = {
  parley: 9,
  'parley-accounts': 9,
  ceiling: 9,
  floor: 9,
  bare: 9,
  sio: 4,
};

/** Byte of the first letter of a frame's type. */
export const FIRST = {
  message: 0x6d, // m
  user_list: 0x75, // u
  error: 0x65, // e
} as const;

export type FrameHandler = (client: BenchClient, buf: Buffer, typeByte: number) => void;

const WS_OPTIONS = { perMessageDeflate: false, skipUTF8Validation: true } as const;

/** One WebSocket member of a room, for any of the three servers. */
export class BenchClient {
  /** Server frames received (Socket.IO: events only, not engine.io pings). */
  frames = 0;
  bytes = 0;
  closeCode: number | null = null;
  readyAt = 0;
  onFrame: FrameHandler | null = null;
  readonly ready: Promise<void>;
  private readonly typeOffset: number;
  private readonly sio: boolean;

  constructor(
    readonly kind: ServerKind,
    readonly ws: WebSocket,
    readonly roomIndex: number,
    readonly username: string,
  ) {
    this.sio = kind === 'sio';
    this.typeOffset = TYPE_OFFSET[kind];
    this.ready = new Promise((resolve, reject) => {
      const fail = (error: Error) => reject(error);
      ws.once('error', fail);
      const done = () => {
        this.readyAt = performance.now();
        ws.off('error', fail);
        ws.on('error', () => {});
        resolve();
      };
      if (this.sio) this.sioReady = done;
      else ws.once('open', done);
      ws.once('close', (code) => {
        this.closeCode = code;
        reject(new Error(`closed with ${code} before joining`));
      });
    });
    this.ready.catch(() => {});
    ws.on('message', (data: Buffer) => this.receive(data));
  }

  private sioReady: (() => void) | null = null;

  private receive(buf: Buffer): void {
    this.bytes += buf.length;
    if (this.sio) {
      const c0 = buf[0];
      if (c0 === SIO_MESSAGE) {
        const c1 = buf[1];
        if (c1 === SIO_CONNECT) {
          this.sioReady?.();
          this.sioReady = null;
          return;
        }
        if (c1 !== SIO_EVENT) return;
      } else {
        if (c0 === SIO_PING) this.ws.send('3');
        else if (c0 === SIO_OPEN) this.ws.send('40');
        return;
      }
    }
    this.frames++;
    const handler = this.onFrame;
    if (handler) handler(this, buf, buf[this.typeOffset] as number);
  }

  sendMessage(content: string, clientId: string | null): void {
    const frame: Record<string, string> = { type: 'message', content };
    if (clientId !== null) frame.client_id = clientId;
    this.ws.send(this.sio ? `42${JSON.stringify(['message', frame])}` : JSON.stringify(frame));
  }

  terminate(): void {
    this.ws.terminate();
  }
}

export function connectClient(
  server: RunningServer,
  roomId: string,
  roomIndex: number,
  username: string,
): BenchClient {
  const auth = server.accounts;
  if (auth) {
    // Accounts mode: signed in with the user's session cookie, as the web client
    // is; the name comes from the account (`username=` would be ignored).
    const token = auth.sessions.get(username);
    if (token === undefined) throw new Error(`no bench account for ${username}`);
    const ws = new WebSocket(`${server.wsUrl}/ws/chat/${roomId}`, {
      ...WS_OPTIONS,
      headers: { cookie: sessionCookie(token) },
    });
    return new BenchClient(server.kind, ws, roomIndex, username);
  }
  const u = encodeURIComponent(username);
  const url =
    server.kind === 'sio'
      ? `${server.wsUrl}/socket.io/?EIO=4&transport=websocket&room=${roomId}&username=${u}`
      : `${server.wsUrl}/ws/chat/${roomId}?username=${u}`;
  return new BenchClient(server.kind, new WebSocket(url, WS_OPTIONS), roomIndex, username);
}

/** Opens clients with at most `concurrency` handshakes in flight (a listen backlog is finite). */
export async function openClients(
  server: RunningServer,
  specs: readonly { roomId: string; roomIndex: number; username: string }[],
  concurrency: number,
  setup?: (client: BenchClient) => void,
): Promise<BenchClient[]> {
  return pool(specs, concurrency, async (s) => {
    const client = connectClient(server, s.roomId, s.roomIndex, s.username);
    setup?.(client);
    await client.ready;
    return client;
  });
}

/** Resolves once no client has received a frame for `quietMs` (or after `maxMs`). */
export async function quiesce(clients: readonly BenchClient[], quietMs: number, maxMs: number) {
  const start = performance.now();
  let last = -1;
  let lastChange = performance.now();
  while (performance.now() - start < maxMs) {
    let frames = 0;
    for (const c of clients) frames += c.frames;
    if (frames !== last) {
      last = frames;
      lastChange = performance.now();
    } else if (performance.now() - lastChange >= quietMs) return;
    await sleep(50);
  }
}

export function closeAll(clients: readonly BenchClient[]): void {
  for (const c of clients) c.terminate();
}

/* ------------------------------------------------------------------ stamps */

// A message's content: `~B~<room>.<sender>.<n>.<sentAtUs>~` padded with `x`.
const MARK = Buffer.from('~B~');
const SEQ = Buffer.from('"seq":');

let cursor = 0;
/** Reads an unsigned decimal at `cursor`, leaving `cursor` after the following byte. */
function readUint(buf: Buffer): number {
  let value = 0;
  let c = buf[cursor++] as number;
  while (c >= 0x30 && c <= 0x39) {
    value = value * 10 + (c - 0x30);
    c = buf[cursor++] as number;
  }
  return value;
}

function stampContent(room: number, sender: number, n: number, length: number): string {
  const head = `~B~${room}.${sender}.${n}.${nowUs()}~`;
  return head.length >= length ? head : head + 'x'.repeat(length - head.length);
}

/* ------------------------------------------------------------------ joining */

export interface JoinStormResult {
  clients: number;
  /** From the first connection attempt until the last client had joined (socket open). */
  joinSpanMs: number;
  /** From the last join until every client's online list held every user. */
  completeAfterLastJoinMs: number;
  /** From the first connection attempt until every online list was complete. */
  totalMs: number;
  /** Clients whose list was never complete (timeout). */
  incomplete: number;
  /** Frames (and bytes) the server sent to the room while it filled, join and user_list. */
  framesReceived: number;
  bytesReceived: number;
  serverCpuMs: number;
  lgCpuMs: number;
  otherCpuUtil: number;
  closedByServer: number;
}

/** The exact bytes of a complete `user_list` frame (its length does not depend on order). */
function completeListLength(kind: ServerKind, names: string[]): number {
  const frame = { type: 'user_list', data: { users: names } };
  const text = kind === 'sio' ? `42${JSON.stringify(['user_list', frame])}` : JSON.stringify(frame);
  return Buffer.byteLength(text);
}

/** The username of member `m` of room `r` (joinRooms). */
export const memberName = (r: number, m: number): string => `u${r}_${m}`;
/** The usernames of runIdle: its warm-up clients, then the idle ones. */
export const warmName = (i: number): string => `warm${i}`;
export const idleName = (i: number): string => `idle${i}`;
export const IDLE_WARM_CLIENTS = 100;

export interface Joined {
  clients: BenchClient[];
  connectMs: number;
  /** Measured when there is one room: a join storm. */
  storm?: JoinStormResult;
}

/**
 * Opens `membersPerRoom` clients in each of `rooms` new rooms (at most `concurrency`
 * handshakes at once) and waits until the presence traffic has settled. With one
 * room, also measures the join storm: when every client's online list was complete.
 */
export async function joinRooms(
  server: RunningServer,
  opts: { rooms: number; membersPerRoom: number; concurrency: number },
  progress: (text: string) => void = () => {},
): Promise<Joined> {
  const roomIds = await createRooms(server, opts.rooms);
  const specs = [];
  for (let r = 0; r < opts.rooms; r++) {
    for (let m = 0; m < opts.membersPerRoom; m++) {
      specs.push({ roomId: roomIds[r] as string, roomIndex: r, username: memberName(r, m) });
    }
  }
  const track = opts.rooms === 1;
  const fullLength = completeListLength(
    server.kind,
    specs.map((s) => s.username),
  );
  const offset = server.kind === 'sio' ? 2 : 0;
  const completeAt = new Map<BenchClient, number>();
  const onFrame: FrameHandler = (client, buf, typeByte) => {
    if (typeByte !== FIRST.user_list || buf.length !== fullLength) return;
    const parsed = JSON.parse(buf.toString('utf8', offset)) as unknown;
    const frame = (Array.isArray(parsed) ? parsed[1] : parsed) as { data: { users: string[] } };
    if (new Set(frame.data.users).size === specs.length && !completeAt.has(client)) {
      completeAt.set(client, performance.now());
    }
  };
  const cpu0 = server.cpuMs();
  const lg0 = selfCpuMs();
  const busy0 = machineBusyMs();
  const t0 = performance.now();
  progress(`joining ${specs.length}`);
  const clients = await openClients(server, specs, opts.concurrency, (client) => {
    if (track) client.onFrame = onFrame;
  });
  const connectMs = performance.now() - t0;
  if (!track) {
    await quiesce(clients, 300, 120_000);
    return { clients, connectMs };
  }
  const lastJoin = Math.max(...clients.map((c) => c.readyAt));
  while (completeAt.size < clients.length && performance.now() - lastJoin < 120_000) {
    await sleep(5);
  }
  const doneAt =
    completeAt.size === clients.length ? Math.max(...completeAt.values()) : performance.now();
  await quiesce(clients, 300, 120_000);
  const elapsed = performance.now() - t0;
  const serverCpuMs = server.cpuMs() - cpu0;
  const lgCpuMs = selfCpuMs() - lg0;
  for (const c of clients) c.onFrame = null;
  return {
    clients,
    connectMs,
    storm: {
      clients: clients.length,
      joinSpanMs: Math.round(lastJoin - t0),
      completeAfterLastJoinMs: Math.round(doneAt - lastJoin),
      totalMs: Math.round(doneAt - t0),
      incomplete: clients.length - completeAt.size,
      framesReceived: clients.reduce((sum, c) => sum + c.frames, 0),
      bytesReceived: clients.reduce((sum, c) => sum + c.bytes, 0),
      serverCpuMs: Math.round(serverCpuMs),
      lgCpuMs: Math.round(lgCpuMs),
      otherCpuUtil: Math.max(0, (machineBusyMs() - busy0 - serverCpuMs - lgCpuMs) / elapsed),
      closedByServer: clients.filter((c) => c.closeCode !== null).length,
    },
  };
}

/* ------------------------------------------------------------------ the load */

export interface PhaseSpec {
  membersPerRoom: number;
  sendersPerRoom: number;
  /** Closed loop: each sender keeps this many messages in flight (sent, own echo not yet back). */
  window?: number;
  /** Open loop: messages per second per room, spread evenly over its senders. */
  ratePerRoom?: number;
  warmupMs: number;
  measureMs: number;
  /** Longest wait, after sending stops, for everything in flight to arrive. */
  drainMs: number;
  contentLength: number;
  /** Send a `client_id` with each message, time-ordered (UUIDv7) as Parley's web client does. */
  clientIds: boolean;
}

interface Sender {
  client: BenchClient;
  room: number;
  local: number;
  /** Next message number (= messages sent so far). */
  n: number;
  inFlight: number;
  /** Open loop: when the next message is due (ms, performance.now()). */
  dueAt: number;
  periodMs: number;
}

interface Receiver {
  room: number;
  /** Sender index in the room when this client sends, else -1. */
  self: number;
  next: Int32Array;
  missing: Set<number> | null;
  lastSeq: number;
}

export interface Correctness {
  /** Deliveries expected (messages sent x members of their room) and never received. */
  lost: number;
  duplicated: number;
  /** Arrived after a later message of the same sender. */
  outOfOrder: number;
  /** A room's `seq` going backwards at one client (a different total order per client). */
  seqInversions: number;
  /** A message of another room. */
  misrouted: number;
  /** `error` frames received. */
  errorFrames: number;
  /** Connections the server closed during the phase. */
  closedByServer: number;
}

export interface LoadResult {
  connections: number;
  measuredMs: number;
  /** Deliveries (one message reaching one client) in the measurement window. */
  deliveries: number;
  deliveriesPerSec: number;
  /** Messages accepted by the server (echoed to their sender) per second in the window. */
  messagesPerSec: number;
  messagesSent: number;
  serverCpuMs: number;
  serverCpuUsPerDelivery: number;
  /** Fraction of one core. */
  serverCpuUtil: number;
  lgCpuUtil: number;
  /** Cores used by other processes on the machine meanwhile (noise). */
  otherCpuUtil: number;
  serverRssBytes: number;
  latency: LatencySummary;
  correctness: Correctness;
  /** Deliveries still missing when the drain timed out (included in `lost`). */
  drainTimedOut: boolean;
}

/** One measured phase of traffic on rooms already joined (clients in room, member order). */
export async function runPhase(
  server: RunningServer,
  clients: BenchClient[],
  spec: PhaseSpec,
  progress: (text: string) => void = () => {},
): Promise<LoadResult> {
  const S = spec.sendersPerRoom;
  const rooms = Math.ceil(clients.length / spec.membersPerRoom);
  const senders: Sender[] = [];
  const sendersByRoom: Sender[][] = Array.from({ length: rooms }, () => []);
  const receivers = new Map<BenchClient, Receiver>();
  const closedBefore = clients.filter((c) => c.closeCode !== null).length;
  clients.forEach((client, i) => {
    const local = i % spec.membersPerRoom;
    const room = client.roomIndex;
    receivers.set(client, {
      room,
      self: local < S ? local : -1,
      next: new Int32Array(S),
      missing: null,
      lastSeq: 0,
    });
    if (local < S) {
      const s: Sender = {
        client,
        room,
        local,
        n: 0,
        inFlight: 0,
        dueAt: 0,
        periodMs: spec.ratePerRoom ? (1000 * S) / spec.ratePerRoom : 0,
      };
      senders.push(s);
      (sendersByRoom[room] as Sender[]).push(s);
    }
  });

  const histogram = newHistogram();
  const c: Correctness = {
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    seqInversions: 0,
    misrouted: 0,
    errorFrames: 0,
    closedByServer: 0,
  };
  let sending = true;
  let measuring = false;
  let windowDeliveries = 0;
  let windowAcks = 0;
  let uniqueDeliveries = 0;
  const window = spec.window ?? 0;

  const send = (s: Sender) => {
    const n = s.n++;
    s.inFlight++;
    s.client.sendMessage(
      stampContent(s.room, s.local, n, spec.contentLength),
      spec.clientIds ? uuidv7() : null,
    );
  };

  const onFrame: FrameHandler = (client, buf, typeByte) => {
    if (typeByte !== FIRST.message) {
      if (typeByte === FIRST.error) c.errorFrames++;
      return;
    }
    const at = buf.indexOf(MARK);
    if (at < 0) return;
    const r = receivers.get(client) as Receiver;
    cursor = at + 3;
    const room = readUint(buf);
    const s = readUint(buf);
    const n = readUint(buf);
    const sentAt = readUint(buf);
    if (room !== r.room || s >= S) {
      c.misrouted++;
      return;
    }
    const seqAt = buf.indexOf(SEQ, cursor);
    if (seqAt >= 0) {
      cursor = seqAt + 6;
      const seq = readUint(buf);
      if (seq <= r.lastSeq) c.seqInversions++;
      else r.lastSeq = seq;
    }
    const expected = r.next[s] as number;
    if (n === expected) {
      r.next[s] = n + 1;
      uniqueDeliveries++;
    } else if (n > expected) {
      r.missing ??= new Set();
      for (let k = expected; k < n; k++) r.missing.add(s * 0x4000000 + k);
      r.next[s] = n + 1;
      uniqueDeliveries++;
    } else if (r.missing?.delete(s * 0x4000000 + n)) {
      c.outOfOrder++;
      uniqueDeliveries++;
    } else {
      c.duplicated++;
      return;
    }
    if (measuring) {
      windowDeliveries++;
      histogram.recordValue(Math.max(1, nowUs() - sentAt));
    }
    if (r.self === s) {
      const sender = (sendersByRoom[room] as Sender[])[s] as Sender;
      sender.inFlight--;
      if (measuring) windowAcks++;
      if (window > 0 && sending) {
        while (sender.inFlight < window) send(sender);
      }
    }
  };
  for (const client of clients) client.onFrame = onFrame;

  let ticker: NodeJS.Timeout | null = null;
  if (window > 0) {
    for (const s of senders) while (s.inFlight < window) send(s);
  } else {
    const start = performance.now();
    senders.forEach((s, i) => {
      // Spread the senders of a room evenly over one period.
      s.dueAt = start + (s.periodMs * (i % S)) / S;
    });
    ticker = setInterval(() => {
      const now = performance.now();
      for (const s of senders) {
        while (sending && s.dueAt <= now) {
          send(s);
          s.dueAt += s.periodMs;
        }
      }
    }, 1);
  }

  progress('warming up');
  await sleep(spec.warmupMs);
  measuring = true;
  const w0 = performance.now();
  const cpu0 = server.cpuMs();
  const lg0 = selfCpuMs();
  const busy0 = machineBusyMs();
  progress('measuring');
  await sleep(spec.measureMs);
  measuring = false;
  const w1 = performance.now();
  const cpu1 = server.cpuMs();
  const lg1 = selfCpuMs();
  const busy1 = machineBusyMs();
  const rss = server.rssBytes();
  sending = false;
  if (ticker) clearInterval(ticker);

  // Drain: wait until every message sent has reached every member of its room.
  progress('draining');
  let expected = 0;
  for (const s of senders) expected += s.n * spec.membersPerRoom;
  const drainStart = performance.now();
  while (uniqueDeliveries < expected && performance.now() - drainStart < spec.drainMs) {
    await sleep(20);
  }
  const drainTimedOut = uniqueDeliveries < expected;

  for (const [client, r] of receivers) {
    if (client.closeCode !== null) c.closedByServer++;
    const roomSenders = sendersByRoom[r.room] as Sender[];
    for (let s = 0; s < S; s++) {
      const sent = (roomSenders[s] as Sender).n;
      c.lost += Math.max(0, sent - (r.next[s] as number));
    }
    c.lost += r.missing?.size ?? 0;
  }
  c.closedByServer -= closedBefore;
  for (const client of clients) client.onFrame = null;

  const measuredMs = w1 - w0;
  const serverCpuMs = cpu1 - cpu0;
  const lgCpuMs = lg1 - lg0;
  return {
    connections: clients.length,
    measuredMs: Math.round(measuredMs),
    deliveries: windowDeliveries,
    deliveriesPerSec: Math.round((windowDeliveries * 1000) / measuredMs),
    messagesPerSec: Math.round((windowAcks * 1000) / measuredMs),
    messagesSent: senders.reduce((sum, s) => sum + s.n, 0),
    serverCpuMs: Math.round(serverCpuMs),
    serverCpuUsPerDelivery: windowDeliveries > 0 ? (serverCpuMs * 1000) / windowDeliveries : 0,
    serverCpuUtil: serverCpuMs / measuredMs,
    lgCpuUtil: lgCpuMs / measuredMs,
    otherCpuUtil: Math.max(0, (busy1 - busy0 - serverCpuMs - lgCpuMs) / measuredMs),
    serverRssBytes: rss,
    latency: summarize(histogram),
    correctness: c,
    drainTimedOut,
  };
}

/* ------------------------------------------------------------------ idle memory */

export interface IdleResult {
  connections: number;
  rooms: number;
  connectMs: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  bytesPerConnection: number;
  closedByServer: number;
}

export async function runIdle(
  server: RunningServer,
  opts: { connections: number; perRoom: number; concurrency: number; settleMs: number },
  progress: (text: string) => void = () => {},
): Promise<{ result: IdleResult; clients: BenchClient[] }> {
  const rooms = Math.ceil(opts.connections / opts.perRoom);
  const roomIds = await createRooms(server, rooms);
  // Warm the code paths (JIT, pools) on a few connections first, then measure from a settled RSS.
  progress('warming up');
  const warm = await openClients(
    server,
    Array.from({ length: IDLE_WARM_CLIENTS }, (_, i) => ({
      roomId: roomIds[i % rooms] as string,
      roomIndex: i % rooms,
      username: warmName(i),
    })),
    opts.concurrency,
  );
  await quiesce(warm, 200, 10_000);
  closeAll(warm);
  await sleep(opts.settleMs);
  const rssBefore = server.rssBytes();
  progress(`opening ${opts.connections}`);
  const t0 = performance.now();
  const clients = await openClients(
    server,
    Array.from({ length: opts.connections }, (_, i) => ({
      roomId: roomIds[i % rooms] as string,
      roomIndex: i % rooms,
      username: idleName(i),
    })),
    opts.concurrency,
  );
  const connectMs = performance.now() - t0;
  await quiesce(clients, 300, 60_000);
  await sleep(opts.settleMs);
  // The median of a few samples, so one allocation burst does not decide.
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(server.rssBytes());
    await sleep(200);
  }
  samples.sort((a, b) => a - b);
  const rssAfter = samples[2] as number;
  return {
    clients,
    result: {
      connections: clients.length,
      rooms,
      connectMs: Math.round(connectMs),
      rssBeforeBytes: rssBefore,
      rssAfterBytes: rssAfter,
      bytesPerConnection: Math.round((rssAfter - rssBefore) / clients.length),
      closedByServer: clients.filter((c) => c.closeCode !== null).length,
    },
  };
}

/* ------------------------------------------------------------------ history */

export interface HistoryPhase {
  requests: number;
  requestsPerSec: number;
  latency: LatencySummary;
  errors: number;
  serverCpuUtil: number;
  lgCpuUtil: number;
  otherCpuUtil: number;
}

/**
 * Requests `path()` with `concurrency` keep-alive connections for `ms`, checking
 * each answer with `check` (false counts as an error).
 */
export async function runHttpPhase(
  server: RunningServer,
  opts: {
    concurrency: number;
    warmupMs: number;
    measureMs: number;
    path: () => string;
    check: (path: string, body: string) => boolean;
  },
): Promise<HistoryPhase> {
  const histogram = newHistogram();
  let measuring = false;
  let running = true;
  let requests = 0;
  let errors = 0;
  const worker = async () => {
    while (running) {
      const path = opts.path();
      const start = performance.now();
      let ok = false;
      let elapsedMs = 0;
      try {
        const res = await httpRequest(`${server.httpUrl}${path}`);
        elapsedMs = performance.now() - start;
        // Checked after timing: the load generator's JSON.parse is not the server's latency.
        ok = res.status === 200 && opts.check(path, res.body);
      } catch {
        elapsedMs = performance.now() - start;
        ok = false;
      }
      if (!measuring) continue;
      requests++;
      if (!ok) errors++;
      histogram.recordValue(Math.max(1, Math.round(elapsedMs * 1000)));
    }
  };
  const workers = Array.from({ length: opts.concurrency }, worker);
  await sleep(opts.warmupMs);
  measuring = true;
  const w0 = performance.now();
  const cpu0 = server.cpuMs();
  const lg0 = selfCpuMs();
  const busy0 = machineBusyMs();
  await sleep(opts.measureMs);
  measuring = false;
  const elapsed = performance.now() - w0;
  const cpu1 = server.cpuMs();
  const lg1 = selfCpuMs();
  const busy1 = machineBusyMs();
  running = false;
  await Promise.all(workers);
  return {
    requests,
    requestsPerSec: Math.round((requests * 1000) / elapsed),
    latency: summarize(histogram),
    errors,
    serverCpuUtil: (cpu1 - cpu0) / elapsed,
    lgCpuUtil: (lg1 - lg0) / elapsed,
    otherCpuUtil: Math.max(0, (busy1 - busy0 - (cpu1 - cpu0) - (lg1 - lg0)) / elapsed),
  };
}
