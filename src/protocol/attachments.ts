// Attachments as messages carry them: the schema (for validation and the API
// documents). The pure helpers live in attachment-text.ts, which the web client
// imports without the schema library (README "Attachments").
import { type Static, Type } from '@sinclair/typebox';
import { attachmentUrl } from './attachment-text.js';

export const Attachment = Type.Object(
  {
    id: Type.String({ description: 'The upload id' }),
    name: Type.String({ description: 'Sanitized file name' }),
    type: Type.String({
      description:
        'Media type detected from the content (never the uploader’s claim): `image/png`, `image/jpeg`, `image/gif`, `image/webp`, `application/pdf`, `application/zip`, `application/gzip`, `text/plain` or `application/octet-stream`',
    }),
    size: Type.Integer({ minimum: 0, description: 'Bytes' }),
    width: Type.Optional(Type.Integer({ minimum: 1, description: 'Images: pixels, as displayed' })),
    height: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Images: pixels, as displayed' }),
    ),
    url: Type.String({ description: 'Where to fetch it, relative to the server' }),
  },
  {
    $id: 'Attachment',
    examples: [
      {
        id: '3f2a9c0d4b1e4a6f8c7d5e2b1a0f9e8d',
        name: 'screenshot.png',
        type: 'image/png',
        size: 183204,
        width: 1280,
        height: 800,
        url: '/api/chat/files/3f2a9c0d4b1e4a6f8c7d5e2b1a0f9e8d/screenshot.png',
      },
    ],
  },
);
export type Attachment = Static<typeof Attachment>;

/** A stored file as a message carries it (both stores and the upload answer build it here). */
export function toAttachment(file: {
  id: string;
  name: string;
  type: string;
  size: number;
  width?: number | null | undefined;
  height?: number | null | undefined;
}): Attachment {
  const a: Attachment = {
    id: file.id,
    name: file.name,
    type: file.type,
    size: file.size,
    url: attachmentUrl(file.id, file.name),
  };
  if (typeof file.width === 'number' && typeof file.height === 'number') {
    a.width = file.width;
    a.height = file.height;
  }
  return a;
}

export {
  type AttachmentInfo,
  attachmentLine,
  attachmentUrl,
  composeContent,
  formatBytes,
  INLINE_IMAGE_TYPES,
  messageText,
  UPLOAD_ID_PATTERN,
} from './attachment-text.js';
