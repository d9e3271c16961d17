import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Attachment, INLINE_IMAGE_TYPES, UPLOAD_ID_PATTERN } from '../../protocol/attachments.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { RoomParams } from '../../protocol/rest.js';
import { contentDisposition } from '../blobs/filename.js';
import { type AttachmentService, fileNotFound } from '../domain/attachment-service.js';
import { ChatError, validationFailed } from '../errors.js';
import { apiErrors, failure, invalid, ok, ref, roomNotFound } from './responses.js';
import { actorOf } from './rooms-routes.js';

const FileParams = Type.Object({
  id: Type.String({ description: 'The upload id' }),
  name: Type.String({ description: 'The file name (for the URL only; the stored one is sent)' }),
});

const uploadTooLarge = failure('The file is larger than `CHAT_MAX_UPLOAD_BYTES`', [
  {
    code: ErrorCode.PAYLOAD_TOO_LARGE,
    detail: 'File is larger than the limit of 26.2 MB (26214400 bytes)',
  },
]);

const fileMissing = failure('No such file, or its room is deleted or not readable', [
  { code: ErrorCode.FILE_NOT_FOUND, detail: 'File not found' },
]);

/** Errors of the multipart parser that mean a malformed or unexpected body. */
function badMultipart(error: unknown): ChatError | null {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('FST_')) {
    return validationFailed(
      ['body'],
      'Expected multipart/form-data with one file part',
      'multipart_invalid',
    );
  }
  if (error instanceof Error && /multipart|boundary|part|header/i.test(error.message)) {
    return validationFailed(
      ['body'],
      `Malformed multipart body: ${error.message}`,
      'multipart_invalid',
    );
  }
  return null;
}

/** `POST /api/chat/rooms/{room_id}/uploads` and `GET /api/chat/files/{id}/{name}`. */
export async function registerFileRoutes(
  app: FastifyInstance,
  attachments: AttachmentService,
  maxUploadBytes: number,
): Promise<void> {
  await app.register(multipart, {
    // One file part (and a few ignored fields); the byte limit is the blob store's,
    // one past ours here so busboy never cuts a file silently at exactly the limit.
    limits: { fileSize: maxUploadBytes + 1, files: 1, parts: 10, fields: 8, headerPairs: 20 },
    throwFileSizeLimit: false,
  });

  app.post<{ Params: RoomParams }>(
    '/api/chat/rooms/:room_id/uploads',
    {
      schema: {
        summary: 'Upload a file to a room (multipart/form-data, one file part)',
        description:
          'The file streams into the blob store; past `CHAT_MAX_UPLOAD_BYTES` it is cut off and nothing is kept (`413`). ' +
          "Its type is detected from its content. Send the returned `id` in a message frame's `attachments` within " +
          '`CHAT_UPLOAD_ABANDON_MS`, or it is deleted.',
        tags: ['files'],
        consumes: ['multipart/form-data'],
        params: RoomParams,
        response: {
          201: ok('The stored file, as messages carry it', ref(Attachment)),
          404: roomNotFound,
          413: uploadTooLarge,
          422: invalid(
            'Not a multipart body with a file, or a file name over 255 characters',
            ['body', 'file', 'filename'],
            'File name is longer than 255 characters',
            'string_too_long',
          ),
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        throw validationFailed(
          ['body'],
          'Expected multipart/form-data with one file part',
          'multipart_invalid',
        );
      }
      let part: Awaited<ReturnType<typeof request.file>>;
      try {
        part = await request.file();
      } catch (error) {
        throw badMultipart(error) ?? error;
      }
      if (!part) throw validationFailed(['body', 'file'], 'No file part', 'missing');
      let attachment: Attachment;
      try {
        attachment = await attachments.upload(request.params.room_id, actorOf(request), {
          filename: part.filename,
          stream: part.file,
        });
      } catch (error) {
        // Refused before the end of the body: nothing more is stored, and the answer
        // goes out at once. The rest of the body is read and discarded (Node does so
        // after the response), bounded by CHAT_HTTP_REQUEST_TIMEOUT_MS: closing the
        // connection instead would make browsers report a network error, not the 413.
        if (request.raw.destroyed && !(error instanceof ChatError)) {
          // The client went away mid-upload (nothing was kept): not a server error.
          throw new ChatError(ErrorCode.BAD_REQUEST, 'The upload was cut short', 400);
        }
        throw badMultipart(error) ?? error;
      }
      return reply.code(201).send(attachment);
    },
  );

  app.get<{ Params: { id: string; name: string } }>(
    '/api/chat/files/:id/:name',
    {
      schema: {
        summary: 'Download a file',
        description:
          'Checked against the room (a file of a deleted room is gone). Images (PNG, JPEG, GIF, WebP, ' +
          'detected from the content) are served inline; everything else as `Content-Disposition: attachment`. ' +
          "Always `X-Content-Type-Options: nosniff` and `Content-Security-Policy: default-src 'none'; sandbox`; " +
          'text (HTML and SVG among it) is `text/plain`, never a type a browser renders as a page.',
        tags: ['files'],
        params: FileParams,
        produces: ['application/octet-stream'],
        response: {
          200: {
            description: 'The file’s bytes, with its detected type',
            content: {
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            },
          },
          404: fileMissing,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      if (!UPLOAD_ID_PATTERN.test(id)) throw fileNotFound();
      const { upload, stream } = await attachments.open(id, actorOf(request));
      const inline = INLINE_IMAGE_TYPES.has(upload.type);
      reply
        .type(upload.type === 'text/plain' ? 'text/plain; charset=utf-8' : upload.type)
        .header('Content-Length', String(upload.size))
        .header(
          'Content-Disposition',
          contentDisposition(inline ? 'inline' : 'attachment', upload.name),
        )
        // Files never change under an id; access can (a deleted room), so not for long.
        .header('Cache-Control', 'private, max-age=300');
      return reply.send(stream);
    },
  );
}
