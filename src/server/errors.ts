import { ErrorCode } from '../protocol/error-codes.js';
import type { FieldError } from '../protocol/rest.js';

/** A known, expected failure with a stable code and an HTTP status. */
export class ChatError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: number,
    /** FastAPI-style field errors for 422 responses. */
    readonly fields?: FieldError[],
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = 'ChatError';
    this.headers = options?.headers;
  }

  /** Response headers that go with the error (e.g. `Retry-After`). */
  readonly headers: Record<string, string> | undefined;
}

export const unauthenticated = (): ChatError =>
  new ChatError(ErrorCode.UNAUTHENTICATED, 'Sign in first', 401);

export const invalidCredentials = (): ChatError =>
  new ChatError(ErrorCode.INVALID_CREDENTIALS, 'Wrong username or password', 401);

export const forbidden = (what: string): ChatError => new ChatError(ErrorCode.FORBIDDEN, what, 403);

export const tooManyLogins = (retryAfterS: number): ChatError =>
  new ChatError(
    ErrorCode.RATE_LIMITED,
    'Too many failed logins; wait and try again',
    429,
    undefined,
    {
      headers: { 'Retry-After': String(retryAfterS) },
    },
  );

export const roomNotFound = (roomId: string): ChatError =>
  new ChatError(ErrorCode.ROOM_NOT_FOUND, `Room ${roomId} not found`, 404);

export const messageNotFound = (what = 'The message'): ChatError =>
  new ChatError(
    ErrorCode.MESSAGE_NOT_FOUND,
    `${what} does not exist in this room (or was deleted)`,
    404,
  );

export const validationFailed = (loc: (string | number)[], msg: string, type: string): ChatError =>
  new ChatError(ErrorCode.VALIDATION_FAILED, msg, 422, [{ loc, msg, type }]);

export const storeFailed = (cause: unknown): ChatError =>
  new ChatError(ErrorCode.STORE_FAILED, 'The message store is unavailable', 503, undefined, {
    cause,
  });

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}
