// The pure parts of attachments, shared by server and web client without the
// schema library: ids, which types show inline, the file URL, and how a message's
// `content` names its files for clients that know nothing of attachments.

/** An attachment as messages carry it (the schema is `Attachment` in attachments.ts). */
export interface AttachmentInfo {
  id: string;
  name: string;
  type: string;
  size: number;
  width?: number;
  height?: number;
  url: string;
}

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
    // 999.5 would round to "1000": the next unit reads better.
    if (value < 999.5) break;
    value /= 1000;
    unit = u;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${unit}`;
}

/** The line that names one file in `content`: `📎 name (size) url`. */
export const attachmentLine = (a: AttachmentInfo): string =>
  `📎 ${a.name} (${formatBytes(a.size)}) ${a.url}`;

/**
 * The stored `content` of a message with files: the text, then one line per file;
 * just the lines when there is no text. An original client shows it as is.
 */
export function composeContent(text: string, attachments: readonly AttachmentInfo[]): string {
  if (attachments.length === 0) return text;
  const lines = attachments.map(attachmentLine).join('\n');
  return text === '' ? lines : `${text}\n${lines}`;
}

/** The text part of a composed `content` (what the sender typed); the inverse of composeContent. */
export function messageText(
  content: string,
  attachments: readonly AttachmentInfo[] | undefined,
): string {
  if (!attachments || attachments.length === 0) return content;
  const lines = attachments.map(attachmentLine).join('\n');
  if (content === lines) return '';
  if (content.endsWith(`\n${lines}`)) return content.slice(0, -(lines.length + 1));
  return content;
}
