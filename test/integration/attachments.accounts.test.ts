// Files in accounts mode: a private room's files are the members' alone, for
// uploading and for downloading, and nobody without an account gets any.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attachment } from '../../src/protocol/attachments.js';
import { invite, type Session, signup } from '../support/accounts.js';
import { multipartBody } from '../support/files.js';
import { makePng } from '../support/images.js';
import { startServer, type TestServer } from '../support/start-server.js';

const BOUNDARY = '----parley-test-boundary-7f3a';

let server: TestServer;
let owner: Session;
let outsider: Session;
beforeAll(async () => {
  server = await startServer({ auth: { mode: 'accounts' } });
  owner = await signup(server.url, 'owner');
  outsider = await signup(server.url, 'outsider', await invite(owner));
});
afterAll(() => server.close());

const uploadAs = (who: Session, roomId: string, name: string) =>
  who.fetch(`/api/chat/rooms/${roomId}/uploads`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body: new Uint8Array(multipartBody(name, makePng(4, 3))),
  });

describe('files of a private room', () => {
  it('are uploaded and read by members only; others get 404, anonymous callers 401', async () => {
    const secret = await owner.createRoom('secret', 'private');
    const res = await uploadAs(owner, secret.id, 'plan.png');
    expect(res.status).toBe(201);
    const file = (await res.json()) as Attachment;

    expect((await owner.fetch(file.url)).status).toBe(200);
    const refused = await outsider.fetch(file.url);
    expect(refused.status).toBe(404);
    expect((await refused.json()).code).toBe('FILE_NOT_FOUND');
    expect((await fetch(`${server.url}${file.url}`)).status).toBe(401);

    const intrusion = await uploadAs(outsider, secret.id, 'x.png');
    expect(intrusion.status).toBe(404);
    // the server is still serving the member
    expect((await owner.fetch(file.url)).status).toBe(200);
  });
});
