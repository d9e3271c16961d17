// The one rule set for user-supplied text, shared by server validation and the
// web client (README "Text rules"). Normalize first, then check the result.
//
// Names (usernames, room names) are what people tell each other apart by, so two
// of them must not look identical: trimmed, Unicode NFC, and free of controls and
// of invisible or direction-changing characters (zero-width, soft hyphen, bidi
// marks and overrides, BOM, …). Emoji sequences keep the two joiners they need.
// Content is prose: line endings become LF and C0/C1 controls other than tab and
// newline are refused; everything else (ZWJ in emoji, bidi marks in RTL text) stays.

// C0, DEL and C1 controls (U+0085 next line, U+009B CSI …).
const NAME_CONTROL = /[\p{Cc}]/u;
// Format characters (U+00AD, U+061C, U+200B–U+200F, U+202A–U+202E, U+2060–U+2069,
// U+FEFF, tags …), line/paragraph separators, and everything Unicode marks as
// "default ignorable", i.e. drawn as nothing (U+034F, U+115F, U+3164, variation selectors …).
const NAME_INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
// The exceptions: U+FE0F (emoji presentation) after a pictograph or keycap base,
// and U+200D (zero-width joiner) between two pictographs, as in 👩🏽‍💻 or 🏳️‍🌈.
const EMOJI_GLUE =
  /(?<=[\p{Extended_Pictographic}#*0-9])\uFE0F|(?<=\p{Extended_Pictographic}[\uFE0F\u{1F3FB}-\u{1F3FF}]?)\u200D(?=\p{Extended_Pictographic})/gu;
// C0 except tab and newline, DEL, C1. Carriage returns are normalized away before.
const CONTENT_FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
// A lone UTF-16 surrogate is not text: databases store it as U+FFFD, so the echo
// and the stored copy would differ.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A username or room name as it is checked, stored and shown: trimmed, NFC. */
export function normalizeName(raw: string): string {
  return raw.trim().normalize('NFC');
}

/** Message content as it is checked and stored: CRLF and lone CR become LF. */
export function normalizeContent(raw: string): string {
  return raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
}

/**
 * `control_chars`: C0/C1 controls, or text that is not well-formed UTF-16.
 * `invisible_chars`: zero-width, bidi and other characters drawn as nothing.
 */
export type NameProblem = 'empty' | 'too_long' | 'control_chars' | 'invisible_chars';

/** Checks a username or room name; `value` must already be normalizeName()d. */
export function nameProblem(value: string, maxLength: number): NameProblem | null {
  if (value.length === 0) return 'empty';
  if (value.length > maxLength) return 'too_long';
  if (NAME_CONTROL.test(value) || LONE_SURROGATE.test(value)) return 'control_chars';
  if (NAME_INVISIBLE.test(value) && NAME_INVISIBLE.test(value.replace(EMOJI_GLUE, ''))) {
    return 'invisible_chars';
  }
  return null;
}

export type ContentProblem = 'empty' | 'too_long' | 'control_chars';

/** Checks message content; `value` must already be normalizeContent()ed. */
export function contentProblem(value: string, maxLength: number): ContentProblem | null {
  if (value.trim().length === 0) return 'empty';
  if (value.length > maxLength) return 'too_long';
  if (CONTENT_FORBIDDEN.test(value) || LONE_SURROGATE.test(value)) return 'control_chars';
  return null;
}

/**
 * Whether a reaction is acceptable (README "Reactions"): already NFC (see
 * normalizeName), 1 to `maxLength` UTF-16 units, one word or emoji with no
 * whitespace, and nothing a name may not hold (emoji joiners are fine).
 */
export function emojiValid(value: string, maxLength: number): boolean {
  return !/\s/u.test(value) && nameProblem(value, maxLength) === null;
}
