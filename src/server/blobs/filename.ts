// File names as the uploader gave them are only a label: never a path, never
// trusted. What is kept is shown to others, so it follows the name rules' spirit.

/** Characters (UTF-16 code units) in a kept file name; longer names are refused. */
export const MAX_FILENAME_LENGTH = 255;

// Controls (C0, DEL, C1), format characters (bidi overrides and isolates,
// zero-width, BOM …), line/paragraph separators, default-ignorables.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/gu;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export type FilenameResult = { ok: true; name: string } | { ok: false; reason: 'too_long' };

/**
 * The name to keep for an upload: its last path segment (either slash), NFC,
 * without controls, bidi or invisible characters, runs of spaces collapsed,
 * leading and trailing dots and spaces removed (`..` and `.` are nothing), and
 * `file` when nothing is left. Over MAX_FILENAME_LENGTH is refused, not cut:
 * silently shortening would change the extension people read.
 */
export function sanitizeFilename(raw: string): FilenameResult {
  // Measured before any work: a megabyte of name is refused, not normalized.
  if (raw.length > MAX_FILENAME_LENGTH * 4) return { ok: false, reason: 'too_long' };
  const base = raw.split(/[/\\]/).pop() ?? '';
  const name = base
    .normalize('NFC')
    .replace(LONE_SURROGATE, '')
    .replace(UNSAFE, '')
    .replace(/\s+/gu, ' ')
    .replace(/^[\s.]+|[\s.]+$/gu, '');
  if (name.length > MAX_FILENAME_LENGTH) return { ok: false, reason: 'too_long' };
  return { ok: true, name: name === '' ? 'file' : name };
}

/** `Content-Disposition` with an ASCII fallback and the exact name (RFC 6266 / 8187). */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
