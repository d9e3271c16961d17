import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionState } from '../../../src/client/chat-client.js';
import { Outbox } from '../../../src/client/outbox.js';
import { failureText, OutgoingMessages } from '../../../src/client/outgoing-messages.js';
import { memoryStorage } from '../../../src/client/storage.js';
import type { ClientFrame } from '../../../src/protocol/frames.js';
import type { Message } from '../../../src/protocol/rest.js';
import { recordEvents } from './recorded-events.js';

/** OutgoingMessages over an in-memory outbox and a wire that is open when told. */
function setup(store = memoryStorage()) {
  const wire = { open: true, frames: [] as ClientFrame[] };
  const { emitted, emit } = recordEvents();
  const outbox = new Outbox(store, 'r', 'alice');
  const out = new OutgoingMessages({
    outbox,
    username: 'alice',
    send: (f) => {
      if (!wire.open) return false;
      wire.frames.push(f);
      return true;
    },
    isOpen: () => wire.open,
    echoTimeoutMs: 1_000,
    emit,
  });
  const sentContents = () => wire.frames.flatMap((f) => (f.type === 'message' ? [f.content] : []));
  const statuses = () => out.items.map((i) => [i.content, i.status, i.error]);
  return { wire, emitted, outbox, out, store, sentContents, statuses };
}

function echo(clientId: string, username = 'alice'): Message {
  return {
    id: `id-${clientId}`,
    room_id: 'r',
    username,
    content: 'x',
    timestamp: new Date(0).toISOString(),
    seq: 1,
    client_id: clientId,
  };
}

const waiting = (code: number): ConnectionState => ({
  kind: 'waiting',
  attempt: 1,
  maxAttempts: 5,
  delayMs: 100,
  retryAt: 0,
  code,
});

describe('OutgoingMessages', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('shows a queued message as pending at once and sends it when connected', () => {
    const { wire, emitted, out, sentContents } = setup();
    out.queue('hello');
    expect(emitted).toEqual([['timeline', { reason: 'pending', own: true }]]);
    const [item] = out.items;
    expect(wire.frames).toEqual([
      { type: 'message', content: 'hello', client_id: item!.client_id },
    ]);
    expect(out.isInflight(item!.client_id)).toBe(true);
    expect(sentContents()).toEqual(['hello']);
  });

  it('keeps messages written offline and flushes them once, in order, when connected', () => {
    const { wire, out, sentContents } = setup();
    wire.open = false;
    out.queue('one');
    out.queue('two');
    expect(sentContents()).toEqual([]);
    out.flush();
    expect(sentContents()).toEqual([]);
    wire.open = true;
    out.flush();
    out.flush();
    expect(sentContents()).toEqual(['one', 'two']);
  });

  it('settles an item on its echo (ours only), and the echo timer no longer fires', async () => {
    const { out, statuses } = setup();
    out.queue('mine');
    const id = out.items[0]!.client_id;
    expect(out.settle(echo(id, 'bob'))).toBe(false);
    expect(out.settle({ ...echo(id), client_id: undefined })).toBe(false);
    expect(out.settle(echo(id))).toBe(true);
    expect(out.isInflight(id)).toBe(false);
    expect(statuses()).toEqual([]);
    expect(out.settle(echo(id))).toBe(false);
  });

  it('marks a message failed when no echo arrives within the echo timeout', async () => {
    const { emitted, out, statuses } = setup();
    out.queue('lost');
    emitted.length = 0;
    await vi.advanceTimersByTimeAsync(999);
    expect(statuses()).toEqual([['lost', 'pending', undefined]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(statuses()).toEqual([['lost', 'failed', 'No confirmation from the server']]);
    expect(out.isInflight(out.items[0]!.client_id)).toBe(false);
    expect(emitted).toEqual([['timeline', { reason: 'pending', own: false }]]);
  });

  it('fails the message an error frame names, with the reason for the person and the code', () => {
    const { emitted, out, statuses } = setup();
    out.queue('first');
    out.queue('second');
    const second = out.items[1]!.client_id;
    emitted.length = 0;
    const handled = out.serverError({
      code: 'STORE_FAILED',
      message: 'db down',
      client_id: second,
    });
    expect(handled).toBe(true);
    expect(statuses()).toEqual([
      ['first', 'pending', undefined],
      ['second', 'failed', "The server couldn't save it"],
    ]);
    expect(emitted).toEqual([
      ['timeline', { reason: 'pending', own: false }],
      [
        'sendFailed',
        { clientId: second, code: 'STORE_FAILED', reason: "The server couldn't save it" },
      ],
    ]);
    expect(out.isInflight(second)).toBe(false);
  });

  it('blames the oldest message on the wire when the error names none, except for a rate limit', () => {
    const { out, statuses } = setup();
    out.queue('first');
    out.queue('second');
    expect(out.serverError({ code: 'RATE_LIMITED', message: 'slow down' })).toBe(false);
    expect(out.serverError({ code: 'CONTENT_TOO_LONG', message: 'too long' })).toBe(true);
    expect(statuses()).toEqual([
      ['first', 'failed', 'Too long to send'],
      ['second', 'pending', undefined],
    ]);
  });

  it('leaves errors about nothing of ours to the caller', () => {
    const { out, statuses } = setup();
    expect(out.serverError({ code: 'STORE_FAILED', message: 'db down' })).toBe(false);
    out.queue('first');
    expect(out.serverError({ code: 'ROOM_NOT_FOUND', message: 'gone' })).toBe(false);
    expect(
      out.serverError({ code: 'STORE_FAILED', message: 'db down', client_id: 'not-ours' }),
    ).toBe(false);
    expect(statuses()).toEqual([['first', 'pending', undefined]]);
  });

  it('words failures by code, else the server message, else "Not sent"', () => {
    expect(failureText('CONTENT_TOO_LONG', 'x')).toBe('Too long to send');
    expect(failureText('RATE_LIMITED', 'x')).toBe('Sending too fast');
    expect(failureText('STORE_FAILED', 'x')).toBe("The server couldn't save it");
    expect(failureText('INVALID_CONTENT', 'x')).toBe('The server rejected it');
    expect(failureText('INVALID_FRAME', 'bad frame')).toBe('bad frame');
    expect(failureText('INVALID_FRAME', '')).toBe('Not sent');
  });

  it('after a dropped connection resends what was on the wire (same client_id), with no stale timers', async () => {
    const { wire, out, statuses } = setup();
    out.queue('a');
    const id = out.items[0]!.client_id;
    wire.open = false;
    out.connectionLost(waiting(1006));
    expect(out.isInflight(id)).toBe(false);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(statuses()).toEqual([['a', 'pending', undefined]]);
    wire.open = true;
    out.flush();
    expect(wire.frames.map((f) => (f.type === 'message' ? f.client_id : f.type))).toEqual([id, id]);
  });

  it('after a 1009 close fails the largest message on the wire and resends the others', () => {
    const { wire, out, statuses, sentContents } = setup();
    out.queue('small');
    out.queue('the biggest one');
    out.queue('medium');
    wire.open = false;
    out.connectionLost(waiting(1009));
    expect(statuses()).toEqual([
      ['small', 'pending', undefined],
      ['the biggest one', 'failed', 'Too large for the server'],
      ['medium', 'pending', undefined],
    ]);
    wire.open = true;
    wire.frames.length = 0;
    out.flush();
    expect(sentContents()).toEqual(['small', 'medium']);
  });

  it('a 1009 close with nothing on the wire fails nothing', () => {
    const { wire, out, statuses } = setup();
    wire.open = false;
    out.queue('queued offline');
    out.connectionLost({ kind: 'gave_up', code: 1009, reason: '' });
    expect(statuses()).toEqual([['queued offline', 'pending', undefined]]);
  });

  it('retries a failed message and discards another', () => {
    const { out, statuses, sentContents } = setup();
    out.queue('a');
    out.queue('b');
    const [a, b] = out.items.map((i) => i.client_id);
    out.serverError({ code: 'STORE_FAILED', message: '', client_id: a! });
    out.serverError({ code: 'STORE_FAILED', message: '', client_id: b! });
    out.retry(a!);
    out.discard(b!);
    expect(statuses()).toEqual([['a', 'pending', undefined]]);
    expect(sentContents()).toEqual(['a', 'b', 'a']);
    expect(out.isInflight(a!)).toBe(true);
  });

  it('picks up what another tab of the same user wrote and sends it', () => {
    const store = memoryStorage();
    const tab1 = setup(store);
    const tab2 = setup(store);
    tab2.wire.open = false;
    tab2.out.queue('from the other tab');
    tab1.out.sync();
    expect(tab1.sentContents()).toEqual(['from the other tab']);
  });

  it('drops the whole outbox when the room is deleted', () => {
    const { out, store } = setup();
    out.queue('a');
    out.dropAll();
    expect(out.items).toEqual([]);
    expect(store.getItem('parley:outbox:v1:r')).toBeNull();
  });

  it('stop clears the echo timers', async () => {
    const { out, statuses } = setup();
    out.queue('a');
    out.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(statuses()).toEqual([['a', 'pending', undefined]]);
  });
});
