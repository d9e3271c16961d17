// Files shared by server processes: with PostgreSQL the blob store is shared,
// so a file uploaded through one process is served by another, and deleting
// its room on one process removes it for all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoom } from '../support/api.js';
import { upload } from '../support/files.js';
import { makePng } from '../support/images.js';
import { requirePostgres, requireRedis } from '../support/services.js';
import { type ServerPair, startServerPair, type TestServer } from '../support/start-server.js';
import { eventually } from '../support/ws-client.js';

const available = (await requirePostgres()) && (await requireRedis());

describe.runIf(available)('attachments across two server processes', () => {
  let pair: ServerPair;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    pair = await startServerPair();
    ({ a, b } = pair);
  });
  afterAll(async () => {
    await pair?.close();
  });

  it('serves a file uploaded through one process from the other, until its room is deleted', async () => {
    const room = await createRoom(a.url);
    const png = makePng(6, 4);
    const file = await upload(a.url, room.id, 'shared.png', png);
    const fromB = await fetch(`${b.url}${file.url}`);
    expect(fromB.status).toBe(200);
    expect(fromB.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await fromB.arrayBuffer()).equals(png)).toBe(true);

    expect((await fetch(`${b.url}/api/chat/rooms/${room.id}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    await eventually(async () => (await fetch(`${a.url}${file.url}`)).status === 404, 10_000);
  });
});
