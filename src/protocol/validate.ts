// Compiled validators for inbound frames. Server-side only in practice: the
// TypeBox compiler generates code at run time, which a strict CSP forbids in the browser.
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { UPLOAD_ID_PATTERN } from './attachments.js';
import { DeleteFrame, EditFrame, MAX_EMOJI_LENGTH, ReactFrame } from './changes.js';
import { ErrorCode } from './error-codes.js';
import {
  type ClientFrame,
  type ClientFrameType,
  GetUsersFrame,
  MessageFrame,
  TypingFrame,
} from './frames.js';
import {
  contentProblem,
  emojiValid,
  nameProblem,
  normalizeContent,
  normalizeName,
} from './text-rules.js';

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
  edit: TypeCompiler.Compile(EditFrame),
  delete: TypeCompiler.Compile(DeleteFrame),
  react: TypeCompiler.Compile(ReactFrame),
} satisfies Record<ClientFrameType, unknown>;

function fail(code: ErrorCode, message: string): ParseResult {
  return { ok: false, code, message };
}

const invalidEmoji = `\`emoji\` must be one emoji or word of 1 to ${MAX_EMOJI_LENGTH} characters, without spaces or invisible characters`;

/** The error for content that breaks the rules (README "Text rules"), or null. */
export function contentFailure(
  content: string,
  maxLength: number,
): { code: ErrorCode; message: string } | null {
  switch (contentProblem(content, maxLength)) {
    case null:
      return null;
    case 'too_long':
      return {
        code: ErrorCode.CONTENT_TOO_LONG,
        message: `Content is longer than ${maxLength} characters`,
      };
    case 'empty':
      return { code: ErrorCode.INVALID_CONTENT, message: 'Content is empty' };
    case 'control_chars':
      return {
        code: ErrorCode.INVALID_CONTENT,
        message: 'Content contains control characters or malformed Unicode',
      };
  }
}

/** Why a `client_id` is refused, or null. */
function clientIdFailure(clientId: string | undefined, maxLength: number): string | null {
  const problem = clientId === undefined ? null : nameProblem(clientId, maxLength);
  if (problem === 'too_long') return `\`client_id\` is longer than ${maxLength} characters`;
  if (problem) return '`client_id` contains control or invisible characters';
  return null;
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
    if ((type === 'message' || type === 'edit') && field === 'content') {
      return failWithId(ErrorCode.INVALID_CONTENT, '`content` must be a string');
    }
    if (type === 'react' && field === 'emoji') {
      return failWithId(ErrorCode.INVALID_EMOJI, invalidEmoji);
    }
    return failWithId(
      ErrorCode.INVALID_FRAME,
      `Invalid \`${field}\`: ${first?.message ?? 'bad value'}`,
    );
  }
  const frame = value as ClientFrame;
  if (frame.type === 'edit' || frame.type === 'delete' || frame.type === 'react') {
    if (frame.type === 'edit') {
      frame.content = normalizeContent(frame.content);
      const problem = contentFailure(frame.content, limits.maxContentLength);
      if (problem) return failWithId(problem.code, problem.message);
    }
    if (frame.type === 'react') {
      frame.emoji = normalizeName(frame.emoji);
      if (!emojiValid(frame.emoji, MAX_EMOJI_LENGTH)) {
        return failWithId(ErrorCode.INVALID_EMOJI, invalidEmoji);
      }
    }
    const idFailure = clientIdFailure(frame.client_id, limits.maxClientIdLength);
    return idFailure ? failWithId(ErrorCode.INVALID_FRAME, idFailure) : { ok: true, frame };
  }
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
