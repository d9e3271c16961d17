// The property behind changes.property.test.ts and its two-process twin in
// cluster.changes.test.ts: random sends, replies, edits, deletes and reactions
// from several clients (over WebSocket with `features=changes`, and REST), with
// drops, resumes (since= and epoch, on any process) and retries with the same
// client_id. At the end every client's own copy of the room (TimelineModel)
// must equal the server's REST history; so must the copies of a client that
// was away the whole time (since=0) and of one that loaded history halfway and
// resumed from there; and a client of the original API sees only original
// frames, every message once, in order.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { expect } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { allMessages, createRoom } from './api.js';
import { ChangesClient } from './changes-client.js';
import { ORIGINAL_FRAME_TYPES } from './original-protocol.js';
import { type LiveMessage, type MessageState, stateOfHistory } from './timeline-model.js';
import { eventually, TestClient } from './ws-client.js';

/** One server process to talk to. */
export interface Endpoint {
  url: string;
  wsUrl: string;
}

const USERS = ['alice', 'bob', 'carol'] as const;

export type Op =
  | { kind: 'send'; who: number; text: string; reply: number | undefined }
  | { kind: 'edit'; who: number; target: number; text: string; rest: boolean }
  | { kind: 'delete'; who: number; target: number; rest: boolean }
  | {
      kind: 'react';
      who: number;
      target: number;
      emoji: string;
      on: boolean | 'toggle';
      rest: boolean;
    }
  | { kind: 'retry'; who: number }
  | { kind: 'drop'; who: number }
  | { kind: 'reconnect'; who: number }
  | { kind: 'settle' };

const who = fc.integer({ min: 0, max: USERS.length - 1 });
const target = fc.nat({ max: 40 });
const text = fc.constantFrom('hi', 'hello @bob', 'ask @Alice and @carol.', 'ok', 'fixed', '@dave?');
// Short words count as reactions too (Campfire's "boosts").
const emoji = fc.constantFrom('👍', '🎉', 'ok');
/** Now and then a change goes over REST instead (and may come from someone offline). */
const rest = fc.oneof(
  { weight: 3, arbitrary: fc.constant(false) },
  { weight: 1, arbitrary: fc.constant(true) },
);

export const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      who,
      text,
      reply: fc.option(target, { nil: undefined }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('edit' as const), who, target, text, rest }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), who, target, rest }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('react' as const),
      who,
      target,
      emoji,
      // Mostly what a user does (take back their own, add a new one); sometimes
      // a repeat, which must change nothing.
      on: fc.oneof(
        { weight: 3, arbitrary: fc.constant('toggle' as const) },
        { weight: 1, arbitrary: fc.boolean() },
      ),
      rest,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retry' as const), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), who }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), who }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'settle' as const }) },
);

/** Refusals a correct client can meet when others act at the same moment (a target just deleted). */
const RACE_CODES = new Set<string>([ErrorCode.MESSAGE_NOT_FOUND]);

interface Actor {
  client: ChangesClient;
  /** Reconnections so far: each goes to the next process. */
  hops: number;
  /** The last frame sent, for a retry with the same client_id. */
  last?: { client_id: string; [key: string]: unknown };
}

/** One run's clients and its REST calls in flight. */
interface Run {
  servers: readonly Endpoint[];
  roomId: string;
  actors: Actor[];
  restCalls: Promise<void>[];
  /** REST answers other than success or a race's MESSAGE_NOT_FOUND. */
  restProblems: string[];
}

/** A change over REST (open mode: `username`), not waited for: it races the frames. */
function overRest(run: Run, username: string, method: string, path: string, body?: object): void {
  const query = body ? '' : `?username=${encodeURIComponent(username)}`;
  const at = run.servers[run.restCalls.length % run.servers.length] as Endpoint;
  const call = fetch(`${at.url}/api/chat/rooms/${run.roomId}/messages/${path}${query}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify({ ...body, username }) : undefined,
  }).then(async (res) => {
    const text = await res.text();
    const ok = res.status === 200 || res.status === 204;
    const raced = res.status === 404 && text.includes(ErrorCode.MESSAGE_NOT_FOUND);
    if (!ok && !raced) run.restProblems.push(`${method} ${path}: ${res.status} ${text}`);
  });
  run.restCalls.push(call);
}

async function settleAll(run: Run): Promise<void> {
  await Promise.all(run.actors.filter((a) => a.client.isOpen).map((a) => a.client.settle()));
  await Promise.all(run.restCalls.splice(0));
}

function perform(run: Run, o: Op): Promise<void> | undefined {
  if (o.kind === 'settle') return settleAll(run);
  const actor = run.actors[o.who] as Actor;
  const c = actor.client;
  if (o.kind === 'drop') return c.disconnect();
  if (o.kind === 'reconnect') {
    if (c.isOpen) return undefined;
    actor.hops += 1;
    return c.connect({ wsUrl: endpoint(run.servers, o.who + actor.hops).wsUrl });
  }
  const all = c.model.messages();
  const own = all.filter((m) => m.username === c.username);
  const pick = <T>(list: readonly T[], i: number): T | undefined => list[i % list.length];
  if (o.kind !== 'send' && o.kind !== 'retry' && o.rest) {
    const m = pick(o.kind === 'react' ? all : own, o.target);
    if (!m) return undefined;
    if (o.kind === 'edit') overRest(run, c.username, 'PATCH', m.id, { content: o.text });
    if (o.kind === 'delete') overRest(run, c.username, 'DELETE', m.id);
    if (o.kind === 'react') {
      const on = o.on === 'toggle' ? !m.reactions.get(o.emoji)?.includes(c.username) : o.on;
      overRest(
        run,
        c.username,
        on ? 'PUT' : 'DELETE',
        `${m.id}/reactions/${encodeURIComponent(o.emoji)}`,
      );
    }
    return undefined;
  }
  if (!c.isOpen) return undefined;
  if (o.kind === 'retry') {
    if (actor.last) c.send(actor.last);
    return undefined;
  }
  let frame: { client_id: string; [key: string]: unknown } | undefined;
  const client_id = c.nextClientId();
  switch (o.kind) {
    case 'send': {
      const answered = o.reply === undefined ? undefined : pick(all, o.reply);
      frame = {
        type: 'message',
        content: o.text,
        client_id,
        ...(answered ? { reply_to: answered.id } : {}),
      };
      break;
    }
    case 'edit': {
      const m = pick(own, o.target);
      if (m) frame = { type: 'edit', message_id: m.id, content: o.text, client_id };
      break;
    }
    case 'delete': {
      const m = pick(own, o.target);
      if (m) frame = { type: 'delete', message_id: m.id, client_id };
      break;
    }
    case 'react': {
      const m = pick(all, o.target);
      if (!m) break;
      const on = o.on === 'toggle' ? !m.reactions.get(o.emoji)?.includes(c.username) : o.on;
      frame = { type: 'react', message_id: m.id, emoji: o.emoji, on, client_id };
      break;
    }
  }
  if (frame) {
    actor.last = frame;
    c.send(frame);
  }
  return undefined;
}

/** Replies show the answered message as stored now: its current excerpt, or `deleted`. */
function checkReplyPreviews(history: readonly LiveMessage[]): void {
  const byId = new Map(history.map((m) => [m.id, m]));
  for (const m of history) {
    if (!m.reply_to) continue;
    const answered = byId.get(m.reply_to.id);
    if (answered) {
      // every content here is shorter than the excerpt limit
      expect(m.reply_to, `reply preview of seq ${m.seq}`).toEqual({
        id: answered.id,
        seq: answered.seq,
        username: answered.username,
        excerpt: answered.content,
      });
    } else {
      expect(m.reply_to, `reply preview of seq ${m.seq}`).toMatchObject({
        excerpt: '',
        deleted: true,
      });
    }
  }
}

const endpoint = (servers: readonly Endpoint[], i: number): Endpoint =>
  servers[i % servers.length] as Endpoint;

const restState = async (url: string, roomId: string): Promise<MessageState[]> =>
  stateOfHistory((await allMessages(url, roomId)) as LiveMessage[]);

async function converged(url: string, roomId: string, clients: ChangesClient[]): Promise<void> {
  await eventually(
    async () => {
      const rest = await restState(url, roomId);
      return clients.every((c) => isDeepStrictEqual(c.model.state(), rest));
    },
    10_000,
    'every client to hold the room REST shows',
  ).catch(() => {
    // the assertions below show the difference
  });
}

/**
 * One run of the property on `servers` (processes of one deployment; clients
 * and REST calls are spread over them).
 */
export async function changesScenario(servers: readonly Endpoint[], ops: Op[]): Promise<void> {
  const first = endpoint(servers, 0);
  const last = endpoint(servers, servers.length - 1);
  const room = await createRoom(first.url);
  const actors: Actor[] = USERS.map((u, i) => ({
    client: new ChangesClient(endpoint(servers, i).wsUrl, room.id, u),
    hops: 0,
  }));
  const late = new ChangesClient(last.wsUrl, room.id, 'erin');
  const halfway = new ChangesClient(endpoint(servers, 1).wsUrl, room.id, 'dave');
  const everyone = [...actors.map((a) => a.client), late, halfway];
  const run: Run = { servers, roomId: room.id, actors, restCalls: [], restProblems: [] };
  // A client of the original API, there throughout.
  const olaf = await TestClient.join(last.wsUrl, room.id, 'olaf', { since: 0 });
  try {
    for (const a of actors) {
      await a.client.loadEpoch(first.url);
      await a.client.connect({ since: 0 });
    }
    for (const [i, o] of ops.entries()) {
      if (i === Math.floor(ops.length / 2)) {
        // The web client's way in: history over REST, then resume after its newest message.
        await halfway.loadEpoch(first.url);
        halfway.seed((await allMessages(first.url, room.id)) as LiveMessage[]);
      }
      await perform(run, o);
    }
    for (const a of actors) if (!a.client.isOpen) await a.client.connect();
    await settleAll(run);
    expect(run.restProblems).toEqual([]);
    await converged(
      last.url,
      room.id,
      actors.map((a) => a.client),
    );

    const seenByHalfway = halfway.model.state().map((m) => m.id);
    await late.loadEpoch(last.url);
    await late.connect({ since: 0 });
    await halfway.connect();
    await converged(last.url, room.id, everyone);

    const history = (await allMessages(last.url, room.id)) as LiveMessage[];
    const rest = stateOfHistory(history);
    for (const c of everyone) {
      expect(c.model.state(), `${c.username}'s room`).toEqual(rest);
      expect(c.problems, `${c.username}'s problems`).toEqual([]);
      for (const e of c.errors) expect(RACE_CODES, `${c.username} got ${e.code}`).toContain(e.code);
    }
    // Replays never carry a deleted message: all the late ones got are still there.
    const restIds = new Set(rest.map((m) => m.id));
    for (const c of [late, halfway]) {
      const replayed = c.received.flatMap((f) =>
        f.type === 'message' ? [(f.data as LiveMessage).id] : [],
      );
      expect(
        replayed.filter((id) => !restIds.has(id)),
        `deleted messages replayed to ${c.username}`,
      ).toEqual([]);
      if (c === halfway) {
        expect(
          replayed.filter((id) => seenByHalfway.includes(id)),
          'messages replayed again after the history it loaded',
        ).toEqual([]);
      }
    }
    checkReplyPreviews(history);

    // The original client: original frames only, every message once, in order.
    expect(olaf.received.filter((f) => !ORIGINAL_FRAME_TYPES.has(f.type))).toEqual([]);
    const heard = olaf.received.flatMap((f) => (f.type === 'message' ? [f.data] : []));
    const seqs = heard.map((m) => m.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    const heardIds = new Set(heard.map((m) => m.id));
    expect(rest.filter((m) => !heardIds.has(m.id))).toEqual([]);
  } finally {
    await Promise.all([...everyone.map((c) => c.disconnect()), olaf.close()]);
  }
}
