/**
 * Stable error codes, shared by server and client. Clients switch on `code`,
 * never on message text.
 */
export const ErrorCode = {
  /** REST */
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** A request target that cannot be read, e.g. a malformed percent-escape (`%ZZ`). */
  BAD_REQUEST: 'BAD_REQUEST',
  ROOM_NOT_FOUND: 'ROOM_NOT_FOUND',
  NOT_FOUND: 'NOT_FOUND',
  /** A file (attachment) that does not exist or may not be read. */
  FILE_NOT_FOUND: 'FILE_NOT_FOUND',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  /** Not allowed: `/metrics` without the token, or (accounts mode) an action reserved to the room's owner or an admin. */
  FORBIDDEN: 'FORBIDDEN',
  /** Accounts mode: no valid session cookie or API token. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Wrong username or password (the same answer for both). */
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  USERNAME_TAKEN: 'USERNAME_TAKEN',
  /** Sign-up without a usable invite (missing, unknown, used up or expired) while sign-up is closed. */
  INVITE_INVALID: 'INVITE_INVALID',
  /** The last active admin cannot be demoted or deactivated. */
  LAST_ADMIN: 'LAST_ADMIN',
  /** A cookie-authenticated state-changing request whose Origin is not the server's (CSRF). */
  ORIGIN_MISMATCH: 'ORIGIN_MISMATCH',
  INTERNAL: 'INTERNAL',
  UNAVAILABLE: 'UNAVAILABLE',
  /** WebSocket frames */
  INVALID_JSON: 'INVALID_JSON',
  INVALID_FRAME: 'INVALID_FRAME',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  INVALID_CONTENT: 'INVALID_CONTENT',
  CONTENT_TOO_LONG: 'CONTENT_TOO_LONG',
  /** An attachment id of a message frame is unknown, of another room, expired or already sent. */
  ATTACHMENT_INVALID: 'ATTACHMENT_INVALID',
  STORE_FAILED: 'STORE_FAILED',
  /** An edit, delete or reaction names no (undeleted) message of this room. */
  MESSAGE_NOT_FOUND: 'MESSAGE_NOT_FOUND',
  /** A reaction that is not one short emoji or word. */
  INVALID_EMOJI: 'INVALID_EMOJI',
  /** A message already carries MAX_REACTIONS_PER_MESSAGE distinct reactions. */
  TOO_MANY_REACTIONS: 'TOO_MANY_REACTIONS',
  /** Workspace socket: a room frame for a room this socket has not subscribed to. */
  NOT_SUBSCRIBED: 'NOT_SUBSCRIBED',
  /** Workspace socket: more subscriptions than `CHAT_WS_MAX_SUBSCRIPTIONS`. */
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * WebSocket close codes. The 4xxx ranges follow the Pusher convention:
 * - 4000-4099: do not reconnect unchanged (the request itself is wrong);
 * - 4100-4199: reconnect with backoff (and resume with `since`);
 * - 4200-4299: reconnect at once.
 * Standard codes: 1001 server going away (shutdown), 1009 frame too large.
 */
export const CloseCode = {
  GOING_AWAY: 1001,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  INVALID_REQUEST: 4000,
  INVALID_USERNAME: 4001,
  /** Accounts mode: the session or token ended (logout, revoked, password changed, account deactivated). */
  SESSION_ENDED: 4003,
  ROOM_NOT_FOUND: 4004,
  ROOM_DELETED: 4010,
  /** Accounts mode: removed from this private room. */
  REMOVED_FROM_ROOM: 4011,
  SLOW_CONSUMER: 4100,
  RATE_LIMITED: 4129,
  TOO_MANY_CONNECTIONS: 4130,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

export type ReconnectPolicy = 'never' | 'backoff' | 'now';

/** What a client should do after the server closed with `code`. */
export function reconnectPolicy(code: number): ReconnectPolicy {
  if (code >= 4000 && code < 4100) return 'never';
  if (code >= 4200 && code < 4300) return 'now';
  return 'backoff';
}
