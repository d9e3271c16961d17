// Attachments as messages carry them, shared by server and web client: the
// metadata shape, the file URL, and how a message's `content` names its files
// for clients that know nothing of attachments (README "Attachments").
import { type Static, Type } from '@sinclair/typebox';

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

/** Upload ids (and blob ids): 32 lowercase hex digits, made by the server. */
export const UPLOAD_ID_PATTERN = /^[0-9a-f]{32}$/;

/** Media types shown inline (as images); everything else is a download. */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
]);

export const attachmentUrl = (id: string, name: string): string =>
  `/api/chat/files/${id}/${encodeURIComponent(name)}`;

/** `532 B`, `14.2 KB`, `2.1 MB` (powers of 1000, one decimal). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 'B';
  for (const u of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = u;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${unit}`;
}

/** The line that names one file in `content`: `📎 name (size) url`. */
export const attachmentLine = (a: Attachment): string =>
  `📎 ${a.name} (${formatBytes(a.size)}) ${a.url}`;

/**
 * The stored `content` of a message with files: the text, then one line per file;
 * just the lines when there is no text. An original client shows it as is.
 */
export function composeContent(text: string, attachments: readonly Attachment[]): string {
  if (attachments.length === 0) return text;
  const lines = attachments.map(attachmentLine).join('\n');
  return text === '' ? lines : `${text}\n${lines}`;
}

/** The text part of a composed `content` (what the sender typed); the inverse of composeContent. */
export function messageText(
  content: string,
  attachments: readonly Attachment[] | undefined,
): string {
  if (!attachments || attachments.length === 0) return content;
  const lines = attachments.map(attachmentLine).join('\n');
  if (content === lines) return '';
  if (content.endsWith(`\n${lines}`)) return content.slice(0, -(lines.length + 1));
  return content;
}
