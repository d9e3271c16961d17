// The benchmark cells: what each one loads, on which servers, and how one run of
// a cell on one freshly started server goes.
import {
  type BenchClient,
  closeAll,
  type HistoryPhase,
  IDLE_WARM_CLIENTS,
  type IdleResult,
  idleName,
  type JoinStormResult,
  joinRooms,
  type LoadResult,
  memberName,
  runHttpPhase,
  runIdle,
  runPhase,
  warmName,
} from './load-generator.js';
import { countMessages, type Prefilled } from './prefill.js';
import type { Pinning, RunningServer, ServerKind } from './servers.js';
import { SERVER_KINDS, startServer } from './servers.js';

export interface Profile {
  quick: boolean;
  /** Runs of each cell on each server, alternated A B C C B A ... */
  reps: number;
  warmupMs: number;
  measureMs: number;
  drainMs: number;
  /** In-flight window per sender in the full-speed cells. */
  window: number;
  idleConnections: number;
  /** Members of the big room (and clients of the join storm). */
  bigRoom: number;
  historyMessages: number;
  historyMeasureMs: number;
  contentLength: number;
}

export const FULL: Profile = {
  quick: false,
  reps: 2,
  warmupMs: 2_000,
  measureMs: 5_000,
  drainMs: 10_000,
  window: 4,
  idleConnections: 10_000,
  bigRoom: 1_000,
  historyMessages: 1_000_000,
  historyMeasureMs: 5_000,
  contentLength: 64,
};

export const QUICK: Profile = {
  quick: true,
  reps: 1,
  warmupMs: 400,
  measureMs: 1_000,
  drainMs: 5_000,
  window: 4,
  idleConnections: 1_000,
  bigRoom: 200,
  historyMessages: 50_000,
  historyMeasureMs: 800,
  contentLength: 64,
};

export type CellKind = 'load' | 'idle' | 'join' | 'history';

export interface CellDef {
  id: string;
  title: string;
  /** Label under a bar group of the chart. */
  short?: string;
  kind: CellKind;
  servers: readonly ServerKind[];
  /** Traffic of a load cell, on the rooms its session joined. */
  load?: {
    sendersPerRoom: number;
    window?: number;
    ratePerRoom?: number;
    role: 'throughput' | 'latency' | 'ingest';
  };
}

/**
 * Cells measured on one server start: the rooms are joined once (for a single
 * room that join is itself measured as the join storm), then each load cell runs
 * as its own phase on those connections.
 */
export interface SessionDef {
  id: string;
  servers: readonly ServerKind[];
  setup:
    | { kind: 'rooms'; rooms: number; membersPerRoom: number }
    | { kind: 'idle' }
    | { kind: 'history' };
  cells: CellDef[];
}

export function sessionDefs(p: Profile): SessionDef[] {
  const all = SERVER_KINDS;
  // Idle, the floor is the ceiling: it stores nothing until a message comes.
  const idle = SERVER_KINDS.filter((k) => k !== 'floor');
  const n = (v: number) => v.toLocaleString('en-US');
  const full = { sendersPerRoom: 10, window: p.window, role: 'throughput' as const };
  const rooms = (
    id: string,
    count: number,
    members: number,
    cells: Omit<CellDef, 'servers'>[],
  ) => ({
    id,
    servers: all,
    setup: { kind: 'rooms' as const, rooms: count, membersPerRoom: members },
    cells: cells.map((c) => ({ ...c, servers: all })),
  });
  const big = p.bigRoom;
  return [
    rooms('room-10', 1, 10, [
      { id: 'room-10', title: 'a room of 10', short: '10', kind: 'load', load: full },
    ]),
    rooms('room-100', 1, 100, [
      { id: 'room-100', title: 'a room of 100', short: '100', kind: 'load', load: full },
      {
        id: 'latency-100',
        title: 'a room of 100 at 200 msg/s',
        short: '100 at 200/s',
        kind: 'load',
        load: { sendersPerRoom: 10, ratePerRoom: 200, role: 'latency' },
      },
    ]),
    rooms(`room-${big}`, 1, big, [
      {
        id: 'join-storm',
        title: `${n(big)} clients joining one room at once`,
        kind: 'join',
      },
      {
        id: 'room-1000',
        title: `a room of ${n(big)}`,
        short: `${big}`,
        kind: 'load',
        load: full,
      },
      {
        id: 'latency-1000',
        title: `a room of ${n(big)} at ${Math.round(20000 / big)} msg/s`,
        short: `${big} at ${Math.round(20000 / big)}/s`,
        kind: 'load',
        load: { sendersPerRoom: 10, ratePerRoom: 20000 / big, role: 'latency' },
      },
    ]),
    rooms('rooms-100x10', 100, 10, [
      {
        id: 'rooms-100x10',
        title: '100 rooms of 10',
        short: '100 x 10',
        kind: 'load',
        load: full,
      },
    ]),
    rooms('ingest', 500, 2, [
      {
        id: 'ingest',
        title: 'stored messages/s: 500 rooms of 2, everyone sending',
        short: '500 x 2',
        kind: 'load',
        load: { sendersPerRoom: 2, window: p.window, role: 'ingest' },
      },
    ]),
    {
      id: 'idle',
      servers: idle,
      setup: { kind: 'idle' },
      cells: [
        {
          id: 'idle',
          title: `${n(p.idleConnections)} idle connections`,
          kind: 'idle',
          servers: idle,
        },
      ],
    },
    {
      id: 'history',
      servers: ['parley'],
      setup: { kind: 'history' },
      cells: [
        {
          id: 'history',
          title: `history of a ${n(p.historyMessages)}-message room`,
          kind: 'history',
          servers: ['parley'],
        },
      ],
    },
  ];
}

export interface HistoryResult {
  /** One client, back to back: the latency of a request. */
  latest: HistoryPhase;
  farBack: HistoryPhase;
  /** Eight clients, half last-100 and half before= pages: requests per second. */
  loaded: HistoryPhase;
}

export type LoadRunResult = LoadResult & { stored?: number };
export type CellResult = LoadRunResult | IdleResult | JoinStormResult | HistoryResult;

export interface CellContext {
  profile: Profile;
  pinning: Pinning;
  /** The history cell's database (Parley only). */
  history?: Prefilled & { path: string };
  progress: (text: string) => void;
}

/** Every username a session's clients connect with (accounts mode makes an account for each). */
export function sessionUsernames(setup: SessionDef['setup'], p: Profile): string[] {
  if (setup.kind === 'rooms') {
    return Array.from({ length: setup.rooms * setup.membersPerRoom }, (_, i) =>
      memberName(Math.floor(i / setup.membersPerRoom), i % setup.membersPerRoom),
    );
  }
  if (setup.kind === 'idle') {
    return [
      ...Array.from({ length: IDLE_WARM_CLIENTS }, (_, i) => warmName(i)),
      ...Array.from({ length: p.idleConnections }, (_, i) => idleName(i)),
    ];
  }
  return [];
}

/** Starts a fresh server, runs a session's cells on it, stops it and cleans up. */
export async function runSession(
  session: SessionDef,
  kind: ServerKind,
  ctx: CellContext,
): Promise<Map<string, CellResult>> {
  const { profile: p, progress } = ctx;
  const out = new Map<string, CellResult>();
  progress(kind === 'parley-accounts' ? 'creating accounts, starting server' : 'starting server');
  // Accounts and their sessions are written before the server starts; rooms are
  // created (by the admin) when joining: both before any measured window.
  const server = await startServer(kind, {
    pinning: ctx.pinning,
    ...(session.setup.kind === 'history' && ctx.history ? { dbPath: ctx.history.path } : {}),
    ...(kind === 'parley-accounts' ? { accounts: sessionUsernames(session.setup, p) } : {}),
  });
  let clients: BenchClient[] = [];
  try {
    const setup = session.setup;
    if (setup.kind === 'rooms') {
      const joined = await joinRooms(
        server,
        { rooms: setup.rooms, membersPerRoom: setup.membersPerRoom, concurrency: 500 },
        progress,
      );
      clients = joined.clients;
      for (const cell of session.cells) {
        if (!cell.servers.includes(kind)) continue;
        if (cell.kind === 'join') {
          if (joined.storm) out.set(cell.id, joined.storm);
          continue;
        }
        const l = cell.load!;
        const result: LoadRunResult = await runPhase(
          server,
          clients,
          {
            membersPerRoom: setup.membersPerRoom,
            sendersPerRoom: l.sendersPerRoom,
            ...(l.window ? { window: l.window } : {}),
            ...(l.ratePerRoom ? { ratePerRoom: l.ratePerRoom } : {}),
            warmupMs: p.warmupMs,
            measureMs: l.role === 'latency' ? p.measureMs * 2 : p.measureMs,
            drainMs: p.drainMs,
            contentLength: p.contentLength,
            clientIds: true,
          },
          (text) => progress(`${cell.id}: ${text}`),
        );
        if (l.role === 'ingest' && server.dbPath) {
          await stopAndClose(server, clients);
          result.stored = countMessages(server.dbPath);
        }
        out.set(cell.id, result);
      }
    } else if (setup.kind === 'idle') {
      const run = await runIdle(
        server,
        { connections: p.idleConnections, perRoom: 10, concurrency: 256, settleMs: 1_000 },
        progress,
      );
      clients = run.clients;
      out.set('idle', run.result);
    } else {
      const h = ctx.history!;
      const base = `/api/chat/rooms/${h.roomId}/messages?limit=100`;
      const check = (path: string, body: string) => {
        const rows = JSON.parse(body) as { seq: number }[];
        const before = /before=(\d+)/.exec(path);
        const last = before ? Number(before[1]) - 1 : h.count;
        return rows.length === 100 && rows[99]?.seq === last && rows[0]?.seq === last - 99;
      };
      const far = () => {
        // A page anywhere in the oldest tenth of the room: the deepest a client can scroll.
        const span = Math.max(1, Math.floor(h.count / 10) - 100);
        return `${base}&before=${101 + Math.floor(Math.random() * span)}`;
      };
      const phase = (concurrency: number, path: () => string) =>
        runHttpPhase(server, {
          concurrency,
          warmupMs: Math.min(1_000, p.warmupMs),
          measureMs: p.historyMeasureMs,
          path,
          check,
        });
      // Throughput first (8 clients, half and half; it also warms the server up), then
      // latency: one client, requests back to back.
      progress('8 clients');
      let flip = false;
      const loaded = await phase(8, () => {
        flip = !flip;
        return flip ? base : far();
      });
      progress('last 100');
      const latest = await phase(1, () => base);
      progress('before= pages');
      const farBack = await phase(1, far);
      out.set('history', { latest, farBack, loaded });
    }
    return out;
  } finally {
    await stopAndClose(server, clients);
    server.dispose();
  }
}

/** Stops the server before the clients go, so it does not spend minutes on leave storms. */
async function stopAndClose(server: RunningServer, clients: BenchClient[]): Promise<void> {
  await server.stop();
  closeAll(clients);
}
