// Uploading and inspecting files in tests: hand-built multipart bodies (so a
// test can send any file name, bytes and claimed type), and what the blob store holds.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import type { Attachment } from '../../src/protocol/attachments.js';
import { FsBlobStore } from '../../src/server/blobs/fs-blob-store.js';
import { TEST_PG_URL } from './services.js';
import type { TestServer } from './start-server.js';

const BOUNDARY = '----parley-test-boundary-7f3a';

/** A multipart/form-data body with one file part, the filename written as given (UTF-8). */
export function multipartBody(
  filename: string,
  bytes: Buffer,
  contentType = 'application/octet-stream',
): Buffer {
  const head =
    `--${BOUNDARY}\r\n` +
    `Content-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
    `Content-Type: ${contentType}\r\n\r\n`;
  return Buffer.concat([
    Buffer.from(head, 'utf8'),
    bytes,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`, 'latin1'),
  ]);
}

export interface UploadAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs one file to the room; resolves with the status and JSON body. */
export async function uploadFile(
  baseUrl: string,
  roomId: string,
  filename: string,
  bytes: Buffer,
  contentType?: string,
): Promise<UploadAnswer> {
  const res = await fetch(`${baseUrl}/api/chat/rooms/${roomId}/uploads`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body: new Uint8Array(multipartBody(filename, bytes, contentType)),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Uploads and expects a 201; resolves with the attachment. */
export async function upload(
  baseUrl: string,
  roomId: string,
  filename: string,
  bytes: Buffer,
  contentType?: string,
): Promise<Attachment> {
  const answer = await uploadFile(baseUrl, roomId, filename, bytes, contentType);
  if (answer.status !== 201) {
    throw new Error(`upload: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer.body as unknown as Attachment;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/** How many blobs the server's blob store holds: files (partial ones too) or rows. */
export async function blobCount(server: TestServer): Promise<number> {
  const blobs = server.app.blobs;
  if (blobs instanceof FsBlobStore) return (await filesUnder(blobs.root)).length;
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    const schema = server.config.postgres.schema;
    const res = await client.query<{ n: string }>(
      // chunks cannot outlive their blob (ON DELETE CASCADE): blobs count them all
      `SELECT count(*) AS n FROM "${schema}".blobs`,
    );
    return Number(res.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
