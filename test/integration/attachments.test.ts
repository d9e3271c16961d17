// Attachments end to end: uploads (limits while streaming, hostile files, names),
// sending them with messages (and what original clients see), serving them
// safely, permissions, and cleanup. Runs on both backends (fs and postgres blobs).
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachmentLine, messageText } from '../../src/protocol/attachments.js';
import { createRoom, history } from '../support/api.js';
import { blobCount, multipartBody, upload, uploadFile } from '../support/files.js';
import { gifHeader, jpegHeader, makePng, webpHeader } from '../support/images.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { eventually, TestClient } from '../support/ws-client.js';

const LIMIT = 256 * 1024;
let server: TestServer;
beforeAll(async () => {
  server = await startServer({
    limits: { maxUploadBytes: LIMIT, maxAttachments: 3 },
    ws: { ratePerSec: 0 },
    http: { ratePerSec: 0 },
  });
});
afterAll(async () => {
  await server?.close();
});

const HTML = Buffer.from(
  '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>',
);
const SVG = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>',
);

async function fetchFile(url: string) {
  const res = await fetch(`${server.url}${url}`);
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

async function stillServing(): Promise<void> {
  const res = await fetch(`${server.url}/healthz`);
  expect(res.status).toBe(200);
}

describe('upload', () => {
  it('stores a PNG, detects its type and size from the content, and serves it inline', async () => {
    const room = await createRoom(server.url);
    const png = makePng(40, 30);
    const a = await upload(server.url, room.id, 'shot.png', png, 'image/png');
    expect(a).toMatchObject({
      name: 'shot.png',
      type: 'image/png',
      size: png.length,
      width: 40,
      height: 30,
    });
    expect(a.id).toMatch(/^[0-9a-f]{32}$/);
    expect(a.url).toBe(`/api/chat/files/${a.id}/shot.png`);
    const { res, body } = await fetchFile(a.url);
    expect(res.status).toBe(200);
    expect(body.equals(png)).toBe(true);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toMatch(/^inline; /);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
  });

  it('reads the size of GIF, WebP and JPEG headers (EXIF rotation swaps the sides)', async () => {
    const room = await createRoom(server.url);
    expect(await upload(server.url, room.id, 'a.gif', gifHeader(7, 9))).toMatchObject({
      type: 'image/gif',
      width: 7,
      height: 9,
    });
    expect(await upload(server.url, room.id, 'a.webp', webpHeader(300, 200))).toMatchObject({
      type: 'image/webp',
      width: 300,
      height: 200,
    });
    expect(await upload(server.url, room.id, 'a.jpg', jpegHeader(640, 480))).toMatchObject({
      type: 'image/jpeg',
      width: 640,
      height: 480,
    });
    expect(await upload(server.url, room.id, 'b.jpg', jpegHeader(640, 480, 6))).toMatchObject({
      type: 'image/jpeg',
      width: 480,
      height: 640,
    });
  });

  it('accepts a file of exactly the limit', async () => {
    const room = await createRoom(server.url);
    const a = await upload(server.url, room.id, 'full.bin', Buffer.alloc(LIMIT, 1));
    expect(a.size).toBe(LIMIT);
  });

  it('refuses a file over the limit with 413 while it streams, and keeps nothing', async () => {
    const room = await createRoom(server.url);
    const before = await blobCount(server);
    const answer = await uploadFile(server.url, room.id, 'big.bin', Buffer.alloc(LIMIT + 1, 7));
    expect(answer.status).toBe(413);
    expect(answer.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await blobCount(server)).toBe(before);
    await stillServing();
  });

  it('answers 413 as soon as the limit is crossed, while the client is still sending', async () => {
    const room = await createRoom(server.url);
    const before = await blobCount(server);
    const TOTAL = 64 * 1024 * 1024;
    // 64 MiB streamed in 64 KiB pieces: the answer comes once the limit is
    // crossed, long before the client is done; the rest is discarded, not stored.
    const { status, sentAtAnswer } = await new Promise<{ status: number; sentAtAnswer: number }>(
      (resolve, reject) => {
        const head = multipartBody('huge.bin', Buffer.alloc(0)).toString('latin1');
        const [start] = head.split('\r\n--'); // the part header, without the closing boundary
        let sent = 0;
        const req = httpRequest(
          `${server.url}/api/chat/rooms/${room.id}/uploads`,
          {
            method: 'POST',
            headers: {
              'content-type': 'multipart/form-data; boundary=----parley-test-boundary-7f3a',
            },
          },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, sentAtAnswer: sent });
            req.destroy();
          },
        );
        req.on('error', (error) => {
          if (!req.destroyed) reject(error);
        });
        req.write(Buffer.from(start ?? '', 'latin1'));
        const piece = Buffer.alloc(64 * 1024, 3);
        const pump = (): void => {
          while (sent < TOTAL && !req.destroyed) {
            sent += piece.length;
            if (!req.write(piece)) {
              req.once('drain', pump);
              return;
            }
          }
        };
        pump();
      },
    );
    expect(status).toBe(413);
    expect(sentAtAnswer).toBeLessThan(TOTAL);
    expect(await blobCount(server)).toBe(before);
    await stillServing();
  });

  it('keeps nothing of an upload the client abandons midway', async () => {
    const room = await createRoom(server.url);
    const before = await blobCount(server);
    await new Promise<void>((resolve) => {
      const head = multipartBody('cut.bin', Buffer.alloc(0)).toString('latin1');
      const [start] = head.split('\r\n--');
      const req = httpRequest(`${server.url}/api/chat/rooms/${room.id}/uploads`, {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=----parley-test-boundary-7f3a' },
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(Buffer.from(start ?? '', 'latin1'));
      req.write(Buffer.alloc(100 * 1024, 5), () => setTimeout(() => req.destroy(), 50));
    });
    await eventually(
      async () => (await blobCount(server)) === before,
      5_000,
      'the partial blob to go',
    );
    await stillServing();
    // and the room takes the next upload as usual
    expect((await upload(server.url, room.id, 'next.txt', Buffer.from('ok'))).size).toBe(2);
  });

  it('refuses a body that is not multipart, or has no file, with 422', async () => {
    const room = await createRoom(server.url);
    const json = await fetch(`${server.url}/api/chat/rooms/${room.id}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"file": "x"}',
    });
    expect(json.status).toBe(422);
    const form = new FormData();
    form.set('note', 'no file here');
    const noFile = await fetch(`${server.url}/api/chat/rooms/${room.id}/uploads`, {
      method: 'POST',
      body: form,
    });
    expect(noFile.status).toBe(422);
    expect(((await noFile.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
    await stillServing();
  });

  it('answers 404 for an unknown or deleted room, before reading the file', async () => {
    const room = await createRoom(server.url);
    await fetch(`${server.url}/api/chat/rooms/${room.id}`, { method: 'DELETE' });
    const before = await blobCount(server);
    for (const id of [room.id, '00000000-0000-0000-0000-000000000000', 'nope']) {
      const answer = await uploadFile(server.url, id, 'a.txt', Buffer.from('hello'));
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('ROOM_NOT_FOUND');
    }
    expect(await blobCount(server)).toBe(before);
  });
});

describe('hostile files', () => {
  it('never serves HTML or SVG as a page: text/plain, as an attachment, sandboxed', async () => {
    const room = await createRoom(server.url);
    for (const [name, bytes, claimed] of [
      ['page.html', HTML, 'text/html'],
      ['logo.svg', SVG, 'image/svg+xml'],
      ['innocent.png', HTML, 'image/png'],
      ['x.xhtml', SVG, 'application/xhtml+xml'],
    ] as const) {
      const a = await upload(server.url, room.id, name, bytes, claimed);
      expect(a.type, name).toBe('text/plain');
      expect(a.width, name).toBeUndefined();
      const { res, body } = await fetchFile(a.url);
      expect(res.status).toBe(200);
      expect(body.equals(bytes)).toBe(true);
      expect(res.headers.get('content-type'), name).toBe('text/plain; charset=utf-8');
      expect(res.headers.get('content-disposition'), name).toMatch(/^attachment; /);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    }
  });

  it('gives a file lying about its type the type of its content', async () => {
    const room = await createRoom(server.url);
    const png = makePng(12, 8);
    const disguised = await upload(server.url, room.id, 'notes.txt', png, 'text/plain');
    expect(disguised).toMatchObject({ name: 'notes.txt', type: 'image/png', width: 12, height: 8 });
    // PNG magic with a broken header: not an image, a download
    const broken = Buffer.concat([
      png.subarray(0, 8),
      Buffer.from('not an IHDR chunk at all, <script>'),
    ]);
    const fake = await upload(server.url, room.id, 'fake.png', broken, 'image/png');
    expect(fake.type).toBe('application/octet-stream');
    const { res } = await fetchFile(fake.url);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; /);
    const pdf = await upload(server.url, room.id, 'doc', Buffer.from('%PDF-1.7\n%âãÏÓ\n'));
    expect(pdf.type).toBe('application/pdf');
    expect((await fetchFile(pdf.url)).res.headers.get('content-disposition')).toMatch(
      /^attachment/,
    );
  });

  it('refuses a huge file name with 422, keeping nothing', async () => {
    const room = await createRoom(server.url);
    const before = await blobCount(server);
    for (const length of [256, 10_000, 60_000]) {
      const answer = await uploadFile(server.url, room.id, 'a'.repeat(length), Buffer.from('x'));
      expect(answer.status, `${length}`).toBe(422);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
    }
    expect(
      await upload(server.url, room.id, `${'a'.repeat(251)}.txt`, Buffer.from('x')),
    ).toMatchObject({
      name: `${'a'.repeat(251)}.txt`,
    });
    expect(await blobCount(server)).toBe(before + 1);
    await stillServing();
  });

  it('keeps only the last segment of a path, without controls, bidi or invisible characters', async () => {
    const room = await createRoom(server.url);
    const cases: [string, string][] = [
      ['../../etc/passwd', 'passwd'],
      ['..\\..\\windows\\win.ini', 'win.ini'],
      ['/abs/path/x.txt', 'x.txt'],
      ['..', 'file'],
      ['', 'file'],
      ['  spaced\t  name .txt  ', 'spaced name .txt'],
      ['evil\u202Etxt.exe', 'eviltxt.exe'],
      ['zero\u200Bwidth\u2066.txt', 'zerowidth.txt'],
      ['bell\u0007\u0085.txt', 'bell.txt'],
      ['café.txt', 'café.txt'],
    ];
    for (const [given, kept] of cases) {
      const a = await upload(server.url, room.id, given, Buffer.from('data'));
      expect(a.name, JSON.stringify(given)).toBe(kept);
      expect(a.url).toBe(`/api/chat/files/${a.id}/${encodeURIComponent(kept)}`);
      const { res } = await fetchFile(a.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toContain(
        `filename*=UTF-8''${encodeURIComponent(kept)}`,
      );
    }
  });

  it('answers 404 for file ids that are unknown or malformed, and paths that try to escape', async () => {
    for (const path of [
      '/api/chat/files/0123456789abcdef0123456789abcdef/x',
      '/api/chat/files/..%2F..%2Fetc%2Fpasswd/x',
      '/api/chat/files/ABCDEF0123456789ABCDEF0123456789/x',
      '/api/chat/files/tmp/x',
    ]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { code: string }).code, path).toBe('FILE_NOT_FOUND');
    }
  });
});

describe('messages with attachments', () => {
  it('carries attachment metadata, and a content an original client understands', async () => {
    const room = await createRoom(server.url);
    const png = makePng(20, 10);
    const image = await upload(server.url, room.id, 'pic.png', png);
    const doc = await upload(server.url, room.id, 'notes.txt', Buffer.from('hello'));
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob');
    alice.send({
      type: 'message',
      content: 'look',
      attachments: [image.id, doc.id],
      client_id: 'c1',
    });
    const echo = await alice.next('message');
    const seen = await bob.next('message');
    expect(seen).toEqual(echo);
    expect(echo.attachments).toEqual([image, doc]);
    expect(echo.content).toBe(
      `look\n📎 pic.png (${png.length} B) ${image.url}\n📎 notes.txt (5 B) ${doc.url}`,
    );
    expect(messageText(echo.content, echo.attachments)).toBe('look');
    // files alone: the content is just their lines
    const only = await upload(server.url, room.id, 'only.txt', Buffer.from('x'));
    alice.send({ type: 'message', content: '  ', attachments: [only.id] });
    const bare = await alice.next('message');
    expect(bare.content).toBe(attachmentLine(only));
    expect(messageText(bare.content, bare.attachments)).toBe('');
    // history has the same, and a message without files has no `attachments` at all
    await alice.say('plain');
    const stored = await history(server.url, room.id);
    expect(stored.map((m) => m.attachments)).toEqual([[image, doc], [only], undefined]);
    expect(Object.keys(stored[2] ?? {})).not.toContain('attachments');
    await alice.close();
    await bob.close();
  });

  it('is idempotent with attachments: a retry returns the stored message', async () => {
    const room = await createRoom(server.url);
    const a = await upload(server.url, room.id, 'a.txt', Buffer.from('a'));
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    alice.send({ type: 'message', content: 'one', attachments: [a.id], client_id: 'same' });
    const first = await alice.next('message');
    alice.send({ type: 'message', content: 'one', attachments: [a.id], client_id: 'same' });
    const again = await alice.next('message');
    expect(again).toEqual(first);
    expect((await history(server.url, room.id)).length).toBe(1);
    await alice.close();
  });

  it('refuses attachments that are not unsent uploads of the room, storing nothing', async () => {
    const room = await createRoom(server.url);
    const other = await createRoom(server.url);
    const elsewhere = await upload(server.url, other.id, 'x.txt', Buffer.from('x'));
    const mine = await upload(server.url, room.id, 'y.txt', Buffer.from('y'));
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob');
    alice.send({ type: 'message', content: 'sent', attachments: [mine.id] });
    await alice.next('message');
    await bob.next('message');
    const bad: [unknown, string][] = [
      [[elsewhere.id], 'ATTACHMENT_INVALID'],
      [[mine.id], 'ATTACHMENT_INVALID'], // already sent
      [['0123456789abcdef0123456789abcdef'], 'ATTACHMENT_INVALID'],
      [['../../etc/passwd'], 'ATTACHMENT_INVALID'],
      [[elsewhere.id, elsewhere.id], 'ATTACHMENT_INVALID'],
      [['a', 'b', 'c', 'd'], 'INVALID_FRAME'], // over CHAT_MAX_ATTACHMENTS (3 here)
      ['not-a-list', 'INVALID_FRAME'],
      [[42], 'INVALID_FRAME'],
    ];
    for (const [attachments, code] of bad) {
      const clientId = `bad-${Math.random().toString(36).slice(2)}`;
      alice.send({ type: 'message', content: 'x', attachments, client_id: clientId });
      const error = await alice.next('error');
      expect(error, JSON.stringify(attachments)).toMatchObject({ code, client_id: clientId });
    }
    // empty content without files is still refused; an empty list changes nothing
    alice.send({ type: 'message', content: ' ', attachments: [] });
    expect((await alice.next('error')).code).toBe('INVALID_CONTENT');
    // nothing stored, bob saw nothing more, and the room goes on
    await alice.say('still here');
    expect((await bob.next('message')).content).toBe('still here');
    expect((await history(server.url, room.id)).map((m) => m.content)).toEqual([
      `sent\n${attachmentLine(mine)}`,
      'still here',
    ]);
    // the refused upload of the other room is still free to be sent there
    const carol = await TestClient.join(server.wsUrl, other.id, 'carol');
    carol.send({ type: 'message', content: '', attachments: [elsewhere.id] });
    expect((await carol.next('message')).attachments).toEqual([elsewhere]);
    await Promise.all([alice.close(), bob.close(), carol.close()]);
  });
});

describe('permissions and cleanup', () => {
  it('deleting a room makes its files 404 at once and deletes their blobs', async () => {
    const room = await createRoom(server.url);
    const bystanderRoom = await createRoom(server.url);
    const sent = await upload(server.url, room.id, 'a.png', makePng(4, 4));
    const unsent = await upload(server.url, room.id, 'b.txt', Buffer.from('b'));
    const kept = await upload(server.url, bystanderRoom.id, 'c.txt', Buffer.from('c'));
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    alice.send({ type: 'message', content: 'pic', attachments: [sent.id] });
    await alice.next('message');
    expect((await fetchFile(sent.url)).res.status).toBe(200);

    expect(
      (await fetch(`${server.url}/api/chat/rooms/${room.id}`, { method: 'DELETE' })).status,
    ).toBe(204);
    for (const a of [sent, unsent]) {
      const { res } = await fetchFile(a.url);
      expect(res.status).toBe(404);
      expect(JSON.parse((await fetchFile(a.url)).body.toString()).code).toBe('FILE_NOT_FOUND');
    }
    await eventually(
      async () =>
        (await server.app.blobs.stat(sent.id)) === null &&
        (await server.app.blobs.stat(unsent.id)) === null,
      10_000,
      'the deleted room’s blobs to be gone',
    );
    await server.app.purger.idle();
    expect(await server.app.store.getUpload(sent.id)).toBeNull();
    // the other room's file is untouched
    expect((await fetchFile(kept.url)).res.status).toBe(200);
    expect(await server.app.blobs.stat(kept.id)).not.toBeNull();
    await alice.close();
  });
});

describe('abandoned uploads', () => {
  let sweepy: TestServer;
  beforeAll(async () => {
    sweepy = await startServer({ uploads: { abandonMs: 300, sweepMs: 50 } });
  });
  afterAll(async () => {
    await sweepy?.close();
  });

  it('deletes uploads never sent after CHAT_UPLOAD_ABANDON_MS, keeping sent ones', async () => {
    const room = await createRoom(sweepy.url);
    const sent = await upload(sweepy.url, room.id, 'sent.txt', Buffer.from('s'));
    const abandoned = await upload(sweepy.url, room.id, 'left.txt', Buffer.from('l'));
    const alice = await TestClient.join(sweepy.wsUrl, room.id, 'alice');
    alice.send({ type: 'message', content: 'here', attachments: [sent.id] });
    await alice.next('message');
    await eventually(
      async () => (await sweepy.app.blobs.stat(abandoned.id)) === null,
      10_000,
      'the abandoned upload to be swept',
    );
    expect((await fetch(`${sweepy.url}${abandoned.url}`)).status).toBe(404);
    // too late to send it now
    alice.send({
      type: 'message',
      content: 'late',
      attachments: [abandoned.id],
      client_id: 'late',
    });
    expect(await alice.next('error')).toMatchObject({
      code: 'ATTACHMENT_INVALID',
      client_id: 'late',
    });
    // the sent one stays, however old
    await sweepy.app.attachments.sweep();
    expect((await fetch(`${sweepy.url}${sent.url}`)).status).toBe(200);
    expect(await sweepy.app.blobs.stat(sent.id)).not.toBeNull();
    await alice.close();
  });
});
