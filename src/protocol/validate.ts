// Compiled validators for inbound frames. Server-side only in practice: the
// TypeBox compiler generates code at run time, which a strict CSP forbids in the browser.
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { UPLOAD_ID_PATTERN } from './attachments.js';
import { ErrorCode } from './error-codes.js';
import {
  type ClientFrame,
  type ClientFrameType,
  GetUsersFrame,
  MessageFrame,
  TypingFrame,
} from './frames.js';
import { contentProblem, nameProblem, normalizeContent } from './text-rules.js';

export interface FrameLimits {
  maxContentLength: number;
  maxClientIdLength: number;
  /** Upload ids in one message. */
  maxAttachments: number;
}

export type ParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: ErrorCode; message: string; clientId?: string };

const validators = {
  message: TypeCompiler.Compile(MessageFrame),
  typing: TypeCompiler.Compile(TypingFrame),
  get_users: TypeCompiler.Compile(GetUsersFrame),
} satisfies Record<ClientFrameType, unknown>;

function fail(code: ErrorCode, message: string): ParseResult {
  return { ok: false, code, message };
}

/** Parses one text frame from a client: JSON, then shape, then content rules. */
export function parseClientFrame(text: string, limits: FrameLimits): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(ErrorCode.INVALID_JSON, 'Frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(ErrorCode.INVALID_FRAME, 'Frame must be a JSON object');
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(validators, type)) {
    return fail(ErrorCode.UNKNOWN_TYPE, `Unknown frame type: ${JSON.stringify(type ?? null)}`);
  }
  const validator = validators[type as ClientFrameType];
  const rawId = (value as { client_id?: unknown }).client_id;
  // Lets the sender match the error to its pending message.
  const clientId =
    typeof rawId === 'string' && rawId.length <= limits.maxClientIdLength ? rawId : undefined;
  const failWithId = (code: ErrorCode, message: string): ParseResult =>
    clientId === undefined ? { ok: false, code, message } : { ok: false, code, message, clientId };
  if (!validator.Check(value)) {
    const first = validator.Errors(value).First();
    const field = first?.path.replace(/^\//, '') || 'frame';
    if (type === 'message' && field === 'content') {
      return failWithId(ErrorCode.INVALID_CONTENT, '`content` must be a string');
    }
    return failWithId(
      ErrorCode.INVALID_FRAME,
      `Invalid \`${field}\`: ${first?.message ?? 'bad value'}`,
    );
  }
  const frame = value as ClientFrame;
  if (frame.type === 'message') {
    // Stored, echoed and length-checked with LF line endings (README "Text rules").
    frame.content = normalizeContent(frame.content);
    const files = frame.attachments;
    if (files !== undefined) {
      if (files.length > limits.maxAttachments) {
        return failWithId(
          ErrorCode.INVALID_FRAME,
          `At most ${limits.maxAttachments} attachments per message`,
        );
      }
      if (
        new Set(files).size !== files.length ||
        !files.every((id) => UPLOAD_ID_PATTERN.test(id))
      ) {
        return failWithId(
          ErrorCode.ATTACHMENT_INVALID,
          '`attachments` must be distinct upload ids',
        );
      }
      if (files.length === 0) delete frame.attachments;
    }
    // A message of files alone has no text; its content is the files' lines.
    const textless = frame.attachments !== undefined && frame.content.trim() === '';
    if (textless) frame.content = '';
    const problem = textless ? null : contentProblem(frame.content, limits.maxContentLength);
    if (problem === 'too_long') {
      return failWithId(
        ErrorCode.CONTENT_TOO_LONG,
        `Content is longer than ${limits.maxContentLength} characters`,
      );
    }
    if (problem === 'empty') return failWithId(ErrorCode.INVALID_CONTENT, 'Content is empty');
    if (problem === 'control_chars') {
      return failWithId(
        ErrorCode.INVALID_CONTENT,
        'Content contains control characters or malformed Unicode',
      );
    }
    const idProblem =
      frame.client_id === undefined ? null : nameProblem(frame.client_id, limits.maxClientIdLength);
    if (idProblem === 'too_long') {
      return failWithId(
        ErrorCode.INVALID_FRAME,
        `\`client_id\` is longer than ${limits.maxClientIdLength} characters`,
      );
    }
    if (idProblem)
      return failWithId(
        ErrorCode.INVALID_FRAME,
        '`client_id` contains control or invisible characters',
      );
  }
  return { ok: true, frame };
}
