// Files in the timeline: images inline at their real aspect ratio (their box is
// sized from the width and height the server read, so nothing moves when they
// load) and opened full size in a viewer; other files as a card with name, type,
// size and a download link. Every name is text; URLs are the server's own paths.
import {
  type AttachmentInfo,
  formatBytes,
  INLINE_IMAGE_TYPES,
} from '../../../protocol/attachment-text.js';
import { h, icon } from '../dom.js';

/** The largest box an inline image takes in the timeline (CSS pixels). */
const MAX_W = 360;
const MAX_H = 280;

const TYPE_LABELS: Record<string, string> = {
  'application/pdf': 'PDF',
  'application/zip': 'ZIP archive',
  'application/gzip': 'Gzip archive',
  'text/plain': 'Text',
  'image/png': 'PNG image',
  'image/jpeg': 'JPEG image',
  'image/gif': 'GIF image',
  'image/webp': 'WebP image',
};

/** A short, human name for a detected type. */
export const typeLabel = (type: string): string => TYPE_LABELS[type] ?? 'File';

/** Whether the timeline shows this file as an image. */
export const isInlineImage = (a: AttachmentInfo): boolean =>
  INLINE_IMAGE_TYPES.has(a.type) && (a.width ?? 0) > 0 && (a.height ?? 0) > 0;

/** The box an image is shown in: its size scaled into MAX_W×MAX_H, never enlarged. */
export function displaySize(a: AttachmentInfo): { width: number; height: number } {
  const w = a.width ?? MAX_W;
  const ht = a.height ?? MAX_H;
  const scale = Math.min(1, MAX_W / w, MAX_H / ht);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(ht * scale)) };
}

function imageEl(a: AttachmentInfo): HTMLElement {
  const { width, height } = displaySize(a);
  // width/height attributes give the box its aspect ratio before the image
  // arrives; CSS lets it shrink on narrow screens (height: auto keeps the ratio).
  const img = h('img', {
    src: a.url,
    alt: a.name,
    width: String(width),
    height: String(height),
    loading: 'lazy',
    decoding: 'async',
    class: 'att-img',
    'data-testid': 'attachment-img',
  });
  // The exact ratio, not the rounded attributes' (set through the CSSOM, which the
  // CSP allows): the box is the same before and after the image arrives.
  img.style.aspectRatio = `${a.width} / ${a.height}`;
  return h(
    'button',
    {
      type: 'button',
      class: 'att-image',
      'aria-label': `Open image ${a.name} (${formatBytes(a.size)})`,
      'data-testid': 'attachment-image',
      on: { click: () => openImageViewer(a) },
    },
    img,
  );
}

function fileEl(a: AttachmentInfo): HTMLElement {
  return h(
    'a',
    {
      class: 'att-file',
      href: a.url,
      download: a.name,
      'data-testid': 'attachment-file',
      'aria-label': `Download ${a.name}, ${typeLabel(a.type)}, ${formatBytes(a.size)}`,
    },
    h('span', { class: 'att-file-icon', 'aria-hidden': 'true' }, icon('file')),
    h(
      'span',
      { class: 'att-file-text' },
      h('span', { class: 'att-file-name', 'data-testid': 'attachment-name' }, a.name),
      h('span', { class: 'att-file-meta' }, `${typeLabel(a.type)} · ${formatBytes(a.size)}`),
    ),
    h('span', { class: 'att-file-download', 'aria-hidden': 'true' }, icon('download')),
  );
}

/** A message's files, images first in their own row. */
export function attachmentList(list: readonly AttachmentInfo[]): HTMLElement {
  const images = list.filter(isInlineImage);
  const files = list.filter((a) => !isInlineImage(a));
  return h(
    'div',
    { class: 'att-list', 'data-testid': 'attachments' },
    images.length > 0 ? h('div', { class: 'att-images' }, images.map(imageEl)) : null,
    files.length > 0 ? h('div', { class: 'att-files' }, files.map(fileEl)) : null,
  );
}

/** The names of files going with a message not sent yet. */
export function pendingAttachmentList(list: readonly AttachmentInfo[]): HTMLElement {
  return h(
    'ul',
    { class: 'att-pending', 'aria-label': 'Attached files' },
    list.map((a) =>
      h(
        'li',
        { class: 'att-chip' },
        icon(isInlineImage(a) ? 'clip' : 'file'),
        h('span', { class: 'att-chip-name' }, a.name),
        h('span', { class: 'att-chip-size' }, formatBytes(a.size)),
      ),
    ),
  );
}

/** A modal showing the image at full size (fitted to the screen); Escape closes it. */
export function openImageViewer(a: AttachmentInfo): void {
  const titleId = `viewer-${a.id}`;
  const close = h(
    'button',
    {
      type: 'button',
      class: 'icon-btn viewer-close',
      'aria-label': 'Close',
      'data-testid': 'viewer-close',
      on: { click: () => dialog.close() },
    },
    icon('close'),
  );
  const dialog = h(
    'dialog',
    { class: 'image-viewer', 'aria-labelledby': titleId, 'data-testid': 'image-viewer' },
    h(
      'div',
      { class: 'viewer-bar' },
      h('span', { id: titleId, class: 'viewer-title' }, a.name),
      h(
        'span',
        { class: 'viewer-meta' },
        a.width && a.height ? `${a.width}×${a.height} · ` : '',
        formatBytes(a.size),
      ),
      h(
        'a',
        { class: 'btn btn-ghost btn-small', href: a.url, download: a.name },
        icon('download'),
        'Download',
      ),
      close,
    ),
    h(
      'div',
      { class: 'viewer-body' },
      h('img', {
        src: a.url,
        alt: a.name,
        class: 'viewer-img',
        width: a.width ? String(a.width) : null,
        height: a.height ? String(a.height) : null,
        'data-testid': 'viewer-img',
      }),
    ),
  );
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener?.isConnected) opener.focus();
  });
  dialog.addEventListener('click', (ev) => {
    if (ev.target === dialog || (ev.target as Element).classList?.contains('viewer-body')) {
      dialog.close();
    }
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  close.focus();
}
