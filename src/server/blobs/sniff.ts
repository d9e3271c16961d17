// What a file is, from its first bytes: a small table of signatures, checked
// here rather than trusting the uploader's name or Content-Type. Images also
// give their size from their header, so the web client can reserve their space.

/** Bytes of a file's start that sniff() needs (JPEG's size can sit behind a 64 KiB EXIF block). */
export const SNIFF_BYTES = 128 * 1024;

/** Larger sides are refused as images (treated as plain files). */
const MAX_SIDE = 65_535;

export interface Sniffed {
  type: string;
  width?: number;
  height?: number;
}

const startsWith = (head: Buffer, bytes: readonly number[], at = 0): boolean =>
  head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b);
const ascii = (head: Buffer, text: string, at = 0): boolean =>
  head.length >= at + text.length && head.toString('latin1', at, at + text.length) === text;

type Size = { width: number; height: number } | null;

function pngSize(head: Buffer): Size {
  if (head.length < 24 || !ascii(head, 'IHDR', 12)) return null;
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

function gifSize(head: Buffer): Size {
  if (head.length < 10) return null;
  return { width: head.readUInt16LE(6), height: head.readUInt16LE(8) };
}

function webpSize(head: Buffer): Size {
  if (head.length < 30) return null;
  const chunk = head.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    if (!startsWith(head, [0x9d, 0x01, 0x2a], 23)) return null;
    return { width: head.readUInt16LE(26) & 0x3fff, height: head.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    if (head[20] !== 0x2f) return null;
    const bits = head.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    return { width: head.readUIntLE(24, 3) + 1, height: head.readUIntLE(27, 3) + 1 };
  }
  return null;
}

/** EXIF orientation (1–8) in an APP1 segment's payload, or 1. */
function exifOrientation(seg: Buffer): number {
  if (seg.length < 14 || !ascii(seg, 'Exif\0\0')) return 1;
  const tiff = seg.subarray(6);
  const le = ascii(tiff, 'II');
  if (!le && !ascii(tiff, 'MM')) return 1;
  const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return 1;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/** Walks the JPEG markers to the frame header (SOFn); orientations 5–8 swap the sides. */
function jpegSize(head: Buffer): Size {
  let at = 2;
  let orientation = 1;
  while (at + 4 <= head.length) {
    if (head[at] !== 0xff) return null;
    const marker = head[at + 1] as number;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    // standalone markers carry no length
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2;
      continue;
    }
    const length = head.readUInt16BE(at + 2);
    if (length < 2) return null;
    const isFrame =
      marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (at + 9 > head.length) return null;
      const height = head.readUInt16BE(at + 5);
      const width = head.readUInt16BE(at + 7);
      return orientation >= 5 ? { width: height, height: width } : { width, height };
    }
    if (marker === 0xe1) {
      orientation = exifOrientation(head.subarray(at + 4, Math.min(head.length, at + 2 + length)));
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan data before any frame header
    at += 2 + length;
  }
  return null;
}

const IMAGES: readonly [string, (head: Buffer) => boolean, (head: Buffer) => Size][] = [
  ['image/png', (h) => startsWith(h, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngSize],
  ['image/jpeg', (h) => startsWith(h, [0xff, 0xd8, 0xff]), jpegSize],
  ['image/gif', (h) => ascii(h, 'GIF87a') || ascii(h, 'GIF89a'), gifSize],
  ['image/webp', (h) => ascii(h, 'RIFF') && ascii(h, 'WEBP', 8), webpSize],
];

const OTHERS: readonly [string, (head: Buffer) => boolean][] = [
  ['application/pdf', (h) => ascii(h, '%PDF-')],
  ['application/zip', (h) => startsWith(h, [0x50, 0x4b, 0x03, 0x04])],
  ['application/gzip', (h) => startsWith(h, [0x1f, 0x8b])],
];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 without NUL or other C0 controls than tab, LF, FF, CR, ESC: text. */
function isText(head: Buffer, complete: boolean): boolean {
  if (head.length === 0) return true;
  let bytes = head;
  if (!complete) {
    // The head may end inside a multi-byte character: drop a trailing partial one.
    let cut = bytes.length;
    for (let back = 1; back <= 3 && cut - back >= 0; back++) {
      const b = bytes[cut - back] as number;
      if ((b & 0xc0) === 0xc0) {
        cut -= back;
        break;
      }
      if ((b & 0x80) === 0) break;
    }
    bytes = bytes.subarray(0, cut);
  }
  for (const b of bytes) {
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d && b !== 0x1b) {
      return false;
    }
  }
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * The media type of a file from its first bytes (`complete`: `head` is the whole
 * file). An image whose header does not give a sane size is not an image here.
 * Text (HTML and SVG among it) is `text/plain`, never a type a browser would render
 * as a page or run script from.
 */
export function sniff(head: Buffer, complete: boolean): Sniffed {
  for (const [type, matches, size] of IMAGES) {
    if (!matches(head)) continue;
    const s = size(head);
    if (s && s.width >= 1 && s.height >= 1 && s.width <= MAX_SIDE && s.height <= MAX_SIDE) {
      return { type, width: s.width, height: s.height };
    }
    return { type: 'application/octet-stream' };
  }
  for (const [type, matches] of OTHERS) if (matches(head)) return { type };
  return { type: isText(head, complete) ? 'text/plain' : 'application/octet-stream' };
}
