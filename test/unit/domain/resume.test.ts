import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/protocol/rest.js';
import { planResume, type ResumeLog } from '../../../src/server/domain/resume.js';

const msg = (seq: number): Message => ({
  id: `m${seq}`,
  room_id: 'r',
  username: 'u',
  content: `#${seq}`,
  timestamp: new Date(0).toISOString(),
  seq,
});

/** A room holding seqs 1..latest in history epoch `epoch`. */
const log = (latest: number, epoch = 'e1'): ResumeLog<Message> => ({
  async entriesAfter(_room, after, limit) {
    const out: Message[] = [];
    for (let s = after + 1; s <= latest && out.length < limit; s++) out.push(msg(s));
    return out;
  },
  async latestSeq() {
    return latest;
  },
  async epoch() {
    return epoch;
  },
});

describe('what a resume sends', () => {
  it('replays every message after since, and goes on from the last one', async () => {
    const plan = await planResume(log(5), 'r', { since: 2, epoch: 'e1' }, 10);
    expect(plan.kind).toBe('replay');
    if (plan.kind === 'replay') expect(plan.entries.map((m) => m.seq)).toEqual([3, 4, 5]);
    expect(plan.lastSeq).toBe(5);
  });

  it('replays nothing for a client that is up to date', async () => {
    const plan = await planResume(log(5), 'r', { since: 5, epoch: null }, 10);
    expect(plan).toEqual({ kind: 'replay', entries: [], lastSeq: 5 });
  });

  it('resyncs past the replay limit, counting what was missed', async () => {
    const plan = await planResume(log(50), 'r', { since: 10, epoch: null }, 5);
    expect(plan).toEqual({
      kind: 'resync',
      resync: { latest_seq: 50, missed: 40, epoch: 'e1', reason: 'replay_limit' },
      lastSeq: 50,
    });
  });

  it('resyncs a since the room never reached, instead of going deaf', async () => {
    const plan = await planResume(log(3), 'r', { since: 100, epoch: null }, 10);
    expect(plan).toEqual({
      kind: 'resync',
      resync: { latest_seq: 3, missed: 3, epoch: 'e1', reason: 'ahead' },
      lastSeq: 3,
    });
  });

  it('resyncs a position from another history epoch, even one the room reached', async () => {
    const plan = await planResume(log(8, 'e2'), 'r', { since: 4, epoch: 'e1' }, 10);
    expect(plan).toEqual({
      kind: 'resync',
      resync: { latest_seq: 8, missed: 8, epoch: 'e2', reason: 'epoch' },
      lastSeq: 8,
    });
  });
});
