// What each error code and close code means, for the generated documents
// (/openapi.json, /asyncapi.json) and the tests that keep the README in step.
// Keyed by the codes themselves, so a new code does not compile until it is documented.
import { CloseCode, ErrorCode, type ReconnectPolicy, reconnectPolicy } from './error-codes.js';

export interface ErrorCodeDoc {
  meaning: string;
  /** HTTP statuses a REST response with this code has; empty if REST never sends it. */
  http: readonly number[];
  /** Sent in WebSocket `error` frames. */
  ws: boolean;
}

export const ERROR_CODE_DOCS: { readonly [K in ErrorCode]: ErrorCodeDoc } = {
  VALIDATION_FAILED: {
    meaning: 'The body, query or path is invalid; `detail` lists the field errors',
    http: [422],
    ws: false,
  },
  ROOM_NOT_FOUND: {
    meaning:
      'No room with this id (REST), or the room was deleted while the message was in flight (WebSocket)',
    http: [404],
    ws: true,
  },
  BAD_REQUEST: {
    meaning:
      'The request itself is malformed: a path escape that cannot be decoded (400), a path segment over 100 characters (414), a garbled request line (400) or headers over 16 KiB (431)',
    http: [400, 414, 431],
    ws: false,
  },
  NOT_FOUND: {
    meaning:
      "No route for this method and path; a room that is not in the reader's sidebar (`/api/chat/me/rooms/...`, and a workspace `read` frame)",
    http: [404],
    ws: true,
  },
  FILE_NOT_FOUND: {
    meaning:
      'No such file, or its room was deleted or may not be read by the caller (the same answer for each, so ids cannot be probed)',
    http: [404],
    ws: false,
  },
  FORBIDDEN: {
    meaning:
      "`/metrics` from an address that is not loopback, without the `CHAT_METRICS_TOKEN` bearer token; in accounts mode, an action reserved to the room's owner or an admin, or an admin route called by a member; editing or deleting someone else's message",
    http: [403],
    ws: true,
  },
  UNAUTHENTICATED: {
    meaning:
      'Accounts mode: no valid session cookie or `Authorization: Bearer` token (missing, unknown, expired, revoked, or the account is deactivated)',
    http: [401],
    ws: false,
  },
  INVALID_CREDENTIALS: {
    meaning: 'Wrong username or password (one answer for both, in about the same time)',
    http: [401],
    ws: false,
  },
  USERNAME_TAKEN: {
    meaning: 'An account with this username exists (usernames are compared ignoring case)',
    http: [409],
    ws: false,
  },
  INVITE_INVALID: {
    meaning: 'Sign-up is closed and the invite is missing, unknown, used up or expired',
    http: [403],
    ws: false,
  },
  LAST_ADMIN: {
    meaning: 'The last active admin cannot be demoted or deactivated',
    http: [409],
    ws: false,
  },
  ORIGIN_MISMATCH: {
    meaning:
      "A state-changing request authenticated by the session cookie whose `Origin` (or `Referer`) is missing or not the server's own origin nor in `CHAT_WS_ALLOWED_ORIGINS` (CSRF guard)",
    http: [403],
    ws: false,
  },
  PAYLOAD_TOO_LARGE: {
    meaning:
      'The request body is larger than `CHAT_MAX_BODY_BYTES`, or an uploaded file larger than `CHAT_MAX_UPLOAD_BYTES` (nothing of it is kept)',
    http: [413],
    ws: false,
  },
  RATE_LIMITED: {
    meaning:
      'Over the rate limit (or, in accounts mode, too many failed logins for this address or account): REST answers 429 with `Retry-After` (seconds); a WebSocket frame was dropped',
    http: [429],
    ws: true,
  },
  INTERNAL: {
    meaning: 'Unexpected server error; the body never carries details',
    http: [500],
    ws: true,
  },
  UNAVAILABLE: {
    meaning:
      'Never sent by the server: the web client uses it for a server it cannot reach (no response)',
    http: [],
    ws: false,
  },
  INVALID_JSON: { meaning: 'The frame is not JSON', http: [], ws: true },
  INVALID_FRAME: {
    meaning:
      'Not a JSON object, a field of the wrong type (`is_typing`, `client_id`), or a binary frame',
    http: [],
    ws: true,
  },
  UNKNOWN_TYPE: { meaning: '`type` missing or not a client frame type', http: [], ws: true },
  INVALID_CONTENT: {
    meaning:
      '`content` missing, not a string, empty or blank, or containing control characters other than tab and newline',
    http: [],
    ws: true,
  },
  CONTENT_TOO_LONG: {
    meaning: '`content` is longer than `CHAT_MAX_CONTENT_LENGTH` characters',
    http: [],
    ws: true,
  },
  ATTACHMENT_INVALID: {
    meaning:
      'An id in `attachments` is malformed or repeated, names no upload of this room (unknown, expired, deleted) or one already sent with another message',
    http: [],
    ws: true,
  },
  STORE_FAILED: {
    meaning:
      'The database is unreachable: REST answers 503; a message was not stored, send it again with the same `client_id`',
    http: [503],
    ws: true,
  },
  MESSAGE_NOT_FOUND: {
    meaning:
      'An edit, delete or reaction names no message of this room, or one that was deleted; nothing changes',
    http: [404],
    ws: true,
  },
  INVALID_EMOJI: {
    meaning: `A reaction that is empty, longer than 16 characters, or holds whitespace, control or invisible characters`,
    http: [422],
    ws: true,
  },
  TOO_MANY_REACTIONS: {
    meaning: 'The message already has 20 different reactions; add to one of them instead',
    http: [409],
    ws: true,
  },
  NOT_SUBSCRIBED: {
    meaning:
      'Workspace socket: a frame for a room this socket has not subscribed to; subscribe first',
    http: [],
    ws: true,
  },
  TOO_MANY_SUBSCRIPTIONS: {
    meaning: 'Workspace socket: more rooms subscribed than `CHAT_WS_MAX_SUBSCRIPTIONS`',
    http: [],
    ws: true,
  },
};

export interface CloseCodeDoc {
  meaning: string;
}

export const CLOSE_CODE_DOCS: { readonly [K in keyof typeof CloseCode]: CloseCodeDoc } = {
  GOING_AWAY: { meaning: 'The server is shutting down' },
  MESSAGE_TOO_BIG: { meaning: 'A frame larger than `CHAT_MAX_FRAME_BYTES`' },
  INTERNAL_ERROR: { meaning: 'Unexpected server error while joining' },
  INVALID_REQUEST: { meaning: 'Invalid query parameter (`since` not a non-negative integer)' },
  INVALID_USERNAME: {
    meaning: 'Missing or invalid username (empty or blank, too long, control characters)',
  },
  SESSION_ENDED: {
    meaning:
      'Accounts mode: the session or token ended (logout, revoked, password changed, account deactivated); sign in again',
  },
  ROOM_NOT_FOUND: {
    meaning: 'Unknown room (or, in accounts mode, a private room you are not a member of)',
  },
  ROOM_DELETED: { meaning: 'The room was deleted (a `room_deleted` frame comes first)' },
  REMOVED_FROM_ROOM: { meaning: 'Accounts mode: you were removed from this private room' },
  SLOW_CONSUMER: {
    meaning: 'Slow consumer: more than `CHAT_WS_SLOW_CONSUMER_BYTES` unsent; reconnect and resume',
  },
  RATE_LIMITED: { meaning: 'Rate limit exceeded repeatedly (`CHAT_WS_RATE_STRIKES`)' },
  TOO_MANY_CONNECTIONS: {
    meaning: 'Too many connections from this address (`CHAT_WS_MAX_PER_IP`)',
  },
};

export interface ErrorCodeEntry extends ErrorCodeDoc {
  code: ErrorCode;
}

export interface CloseCodeEntry extends CloseCodeDoc {
  code: CloseCode;
  name: keyof typeof CloseCode;
  reconnect: ReconnectPolicy;
}

/** Every error code with its documentation, in declaration order. */
export function errorCodeEntries(): ErrorCodeEntry[] {
  return Object.values(ErrorCode).map((code) => ({ code, ...ERROR_CODE_DOCS[code] }));
}

/** Every close code with its name, documentation and what a client should do after it. */
export function closeCodeEntries(): CloseCodeEntry[] {
  return (Object.keys(CloseCode) as (keyof typeof CloseCode)[]).map((name) => ({
    code: CloseCode[name],
    name,
    reconnect: reconnectPolicy(CloseCode[name]),
    ...CLOSE_CODE_DOCS[name],
  }));
}
