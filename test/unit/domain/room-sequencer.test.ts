import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/protocol/rest.js';
import { type RoomLog, RoomSequencer } from '../../../src/server/domain/room-sequencer.js';
import { eventually } from '../../support/ws-client.js';

const msg = (seq: number): Message => ({
  id: `m${seq}`,
  room_id: 'r',
  username: 'u',
  content: `#${seq}`,
  timestamp: new Date(0).toISOString(),
  seq,
});

/**
 * A room's stored log whose reads can be held open, so a test decides when a
 * read answers (a store slower than live traffic) or makes it fail.
 */
class FakeLog implements RoomLog<Message> {
  stored: Message[] = [];
  reads: { afterSeq: number; limit: number }[] = [];
  failNext = 0;
  private gate: Promise<void> = Promise.resolve();
  private open: (() => void) | null = null;

  store(...seqs: number[]): void {
    for (const seq of seqs) this.stored.push(msg(seq));
  }
  /** Reads started from now on wait until `release`. */
  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }
  release(): void {
    this.open?.();
  }
  async latestSeq(): Promise<number | null> {
    await this.gate;
    return this.stored.reduce((max, m) => Math.max(max, m.seq), 0);
  }
  async entriesAfter(_roomId: string, afterSeq: number, limit: number): Promise<Message[]> {
    this.reads.push({ afterSeq, limit });
    await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('store down');
    }
    return this.stored
      .filter((m) => m.seq > afterSeq)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);
  }
}

function setup(log: FakeLog | null, opts = {}) {
  const out: number[] = [];
  const seq = new RoomSequencer('r', log, (m) => out.push(m.seq), {
    retryMs: 1,
    ...opts,
  });
  return { seq, out };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((r) => setTimeout(r, 5));
/** Waits until the sequencer has finished reading and is live again. */
const live = (seq: RoomSequencer<Message>) => eventually(() => seq.phase === 'live', 5_000, 'live');

describe('RoomSequencer', () => {
  it('delivers messages that follow on at once, in order, each once', async () => {
    const log = new FakeLog();
    log.store(1, 2);
    const { seq, out } = setup(log);
    await seq.start();
    expect(seq.delivered).toBe(2);
    log.store(3, 4);
    seq.offer(msg(3));
    seq.offer(msg(3)); // an echo delivered twice by the bus
    seq.offer(msg(2)); // older than the start position
    seq.offer(msg(4));
    expect(out).toEqual([3, 4]);
    expect(seq.phase).toBe('live');
  });

  it('holds a message past a gap and reads the gap from the store first', async () => {
    const log = new FakeLog();
    const { seq, out } = setup(log);
    await seq.start();
    log.store(1, 2, 3);
    seq.offer(msg(3)); // 1 and 2 were published by another process, not yet here
    expect(out).toEqual([]);
    expect(seq.phase).toBe('reading');
    await live(seq);
    expect(out).toEqual([1, 2, 3]);
    expect(log.reads.at(-1)).toEqual({ afterSeq: 0, limit: 2 });
    // the late bus copies of 1 and 2 are duplicates now
    seq.offer(msg(1));
    seq.offer(msg(2));
    expect(out).toEqual([1, 2, 3]);
  });

  it('holds live messages while the start is slower than live traffic', async () => {
    const log = new FakeLog();
    log.store(1, 2, 3);
    log.hold();
    const { seq, out } = setup(log);
    const started = seq.start();
    log.store(4, 5);
    seq.offer(msg(5));
    seq.offer(msg(4));
    expect(out).toEqual([]);
    expect(seq.phase).toBe('starting');
    log.release();
    await started;
    // the start read saw 5 already, so nothing is delivered twice or out of order
    expect(out.every((s, i) => i === 0 || s > (out[i - 1] as number))).toBe(true);
    expect(new Set(out).size).toBe(out.length);
    seq.offer(msg(6));
    expect(out.at(-1)).toBe(6);
  });

  it('holds live messages that arrive during a slow gap read, then delivers all in order', async () => {
    const log = new FakeLog();
    const { seq, out } = setup(log);
    await seq.start();
    log.store(1, 2, 3, 4, 5, 6);
    log.hold();
    seq.offer(msg(3)); // gap 1..2: the read hangs
    seq.offer(msg(5));
    seq.offer(msg(4));
    seq.offer(msg(6));
    expect(out).toEqual([]);
    log.release();
    await live(seq);
    expect(out).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seq.phase).toBe('live');
  });

  it('catches up on everything newer after a bus outage, in pages', async () => {
    const log = new FakeLog();
    const { seq, out } = setup(log, { fetchLimit: 2 });
    await seq.start();
    log.store(1, 2, 3, 4, 5);
    seq.catchUp(); // nothing pending: only a catch-up finds these
    await live(seq);
    expect(out).toEqual([1, 2, 3, 4, 5]);
    expect(log.reads.map((r) => r.limit)).toEqual([2, 2, 2]);
  });

  it('does a catch-up asked for during a read once the read is done', async () => {
    const log = new FakeLog();
    const { seq, out } = setup(log);
    await seq.start();
    log.store(1, 2);
    log.hold();
    seq.offer(msg(2));
    seq.catchUp();
    log.store(3, 4); // lost by the bus
    log.release();
    await live(seq);
    expect(out).toEqual([1, 2, 3, 4]);
  });

  it('retries a failing read, then skips a gap the store cannot fill', async () => {
    const log = new FakeLog();
    const { seq, out } = setup(log, { readTries: 3 });
    await seq.start();
    log.store(1, 2);
    log.failNext = 2;
    seq.offer(msg(2));
    await live(seq);
    expect(out).toEqual([1, 2]); // third try succeeded

    log.failNext = 100;
    seq.offer(msg(5)); // 3 and 4 unreadable
    await live(seq);
    expect(out).toEqual([1, 2, 5]);
    expect(seq.phase).toBe('live');
  });

  it('does not wait for a gap that nothing in the store fills', async () => {
    const log = new FakeLog();
    const { seq, out } = setup(log);
    await seq.start();
    seq.offer(msg(3));
    await live(seq);
    expect(out).toEqual([3]);
  });

  it('without a store, delivers messages as they come', async () => {
    const { seq, out } = setup(null);
    await seq.start();
    seq.offer(msg(3));
    seq.offer(msg(1));
    expect(out).toEqual([3, 1]);
  });

  it('delivers nothing once stopped, even a read that answers later', async () => {
    const log = new FakeLog();
    const { seq, out } = setup(log);
    await seq.start();
    log.store(1, 2);
    log.hold();
    seq.offer(msg(2));
    seq.stop();
    log.release();
    await settle();
    seq.offer(msg(3));
    expect(out).toEqual([]);
    expect(seq.phase).toBe('stopped');
  });

  it('does not wait for seqs the log no longer holds (a deleted message), nor read them twice', async () => {
    const log = new FakeLog();
    log.store(1, 2, 4, 6);
    const { seq, out } = setup(log);
    await seq.start();
    expect(seq.delivered).toBe(6);
    // 7 and 9 stored, 8 gone (deleted) by the time the gap before 10 is read
    log.store(7, 9, 10);
    seq.offer(msg(7));
    seq.offer(msg(10));
    await live(seq);
    expect(out).toEqual([7, 9, 10]);
    seq.offer(msg(11));
    expect(out).toEqual([7, 9, 10, 11]);
  });
});
