/** Default limits. The server can override each through configuration (see README). */
export const DEFAULT_LIMITS = {
  /** Characters (UTF-16 code units) in a message. */
  maxContentLength: 16_000,
  maxUsernameLength: 64,
  maxRoomNameLength: 100,
  /** Largest `limit` accepted by the history endpoint. */
  maxHistoryLimit: 1_000,
  defaultHistoryLimit: 100,
  /** A client-generated idempotency key. */
  maxClientIdLength: 64,
  /** Files in one message. */
  maxAttachments: 10,
} as const;
