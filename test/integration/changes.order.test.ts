// One sender's frames take effect in the order it sent them, changes as well as
// messages: the last of several quick edits is the text that stays, a reaction
// toggled on and off ends as the last toggle left it, and a message sent after
// a change comes after it (a reply to a message just deleted is refused).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allMessages, createRoom } from '../support/api.js';
import { ChangesClient } from '../support/changes-client.js';
import { startServer, type TestServer } from '../support/start-server.js';
import type { LiveMessage } from '../support/timeline-model.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ ws: { ratePerSec: 0 }, http: { ratePerSec: 0 } });
});
afterAll(() => server.close());

describe('one sender’s changes', () => {
  it('take effect in the order sent', async () => {
    const room = await createRoom(server.url);
    const alice = new ChangesClient(server.wsUrl, room.id, 'alice');
    await alice.connect({ since: 0 });
    alice.send({ type: 'message', content: 'draft', client_id: alice.nextClientId() });
    await alice.settle();
    const id = alice.model.messages()[0]?.id as string;
    const edits = Array.from({ length: 10 }, (_, i) => `version ${i}`);
    for (const content of edits) {
      alice.send({ type: 'edit', message_id: id, content, client_id: alice.nextClientId() });
      alice.send({
        type: 'react',
        message_id: id,
        emoji: '👍',
        on: content !== 'version 9',
        client_id: alice.nextClientId(),
      });
    }
    await alice.settle();
    const [stored] = (await allMessages(server.url, room.id)) as LiveMessage[];
    expect(stored?.content).toBe('version 9');
    expect(stored?.reactions).toBeUndefined();
    // ... and the changes' seqs follow the order they were sent
    const kinds = alice.received.flatMap((f) =>
      f.type === 'change' ? [(f.data as { content?: string; kind: string }).content ?? f.data] : [],
    );
    expect(kinds.filter((k) => typeof k === 'string')).toEqual(edits);
    await alice.disconnect();
  });

  it('and a message sent after a change comes after it in the log', async () => {
    const room = await createRoom(server.url);
    const alice = new ChangesClient(server.wsUrl, room.id, 'alice');
    await alice.connect({ since: 0 });
    for (const content of ['one', 'two']) {
      alice.send({ type: 'message', content, client_id: alice.nextClientId() });
    }
    await alice.settle();
    const [one, two] = alice.model.messages().map((m) => m.id) as [string, string];
    // Edit, then say so; delete, then (too late) answer the deleted message.
    alice.send({ type: 'edit', message_id: one, content: 'one, fixed', client_id: 'e' });
    alice.send({ type: 'message', content: 'fixed my typo', client_id: 'm1' });
    alice.send({ type: 'delete', message_id: two, client_id: 'd' });
    alice.send({ type: 'message', content: 'about two', reply_to: two, client_id: 'm2' });
    await alice.settle();
    const answer = (clientId: string) => alice.answers.get(clientId) as { seq: number };
    expect(answer('e').seq).toBeLessThan(answer('m1').seq);
    expect(answer('m1').seq).toBeLessThan(answer('d').seq);
    // the message replied to was deleted before the reply came
    expect(alice.answers.get('m2')).toEqual({ error: 'MESSAGE_NOT_FOUND' });
    await alice.disconnect();
  });
});
