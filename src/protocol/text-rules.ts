// Pure checks on user-supplied text, shared by server validation and the web client.

// C0 controls, DEL and C1 controls; tab, newline and carriage return are ordinary
// in message content but not in names.
const NAME_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f]/;
const CONTENT_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
// A lone UTF-16 surrogate is not text: databases store it as U+FFFD, so the echo
// and the stored copy would differ.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `control_chars` also covers text that is not well-formed UTF-16. */
export type NameProblem = 'empty' | 'too_long' | 'control_chars';

/** Checks a username or room name; `value` should already be trimmed. */
export function nameProblem(value: string, maxLength: number): NameProblem | null {
  if (value.length === 0) return 'empty';
  if (value.length > maxLength) return 'too_long';
  if (NAME_FORBIDDEN.test(value) || LONE_SURROGATE.test(value)) return 'control_chars';
  return null;
}

export type ContentProblem = 'empty' | 'too_long' | 'control_chars';

export function contentProblem(value: string, maxLength: number): ContentProblem | null {
  if (value.trim().length === 0) return 'empty';
  if (value.length > maxLength) return 'too_long';
  if (CONTENT_FORBIDDEN.test(value) || LONE_SURROGATE.test(value)) return 'control_chars';
  return null;
}
