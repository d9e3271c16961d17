// Web Push (README "Notifications"): the browser's PushSubscription, the server's
// VAPID public key, and the JSON a push message carries to the service worker.
import { type Static, Type } from '@sinclair/typebox';

/** base64url without padding, as browsers give PushSubscription keys. */
const BASE64URL = '^[A-Za-z0-9_-]+={0,2}$';

/** Longest push endpoint URL accepted (real ones are a few hundred characters). */
export const MAX_PUSH_ENDPOINT_LENGTH = 2048;

/** `PushSubscription.toJSON()` of the browser; `expirationTime` is accepted and ignored. */
export const PushSubscriptionBody = Type.Object(
  {
    endpoint: Type.String({
      minLength: 9,
      maxLength: MAX_PUSH_ENDPOINT_LENGTH,
      pattern: '^https://',
      description: "The push service's URL for this browser (https only)",
    }),
    expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    keys: Type.Object({
      p256dh: Type.String({
        minLength: 86,
        maxLength: 88,
        pattern: BASE64URL,
        description: "The browser's P-256 public key, uncompressed point, base64url",
      }),
      auth: Type.String({
        minLength: 22,
        maxLength: 24,
        pattern: BASE64URL,
        description: 'The 16-byte authentication secret, base64url',
      }),
    }),
  },
  {
    $id: 'PushSubscriptionBody',
    examples: [
      {
        endpoint: 'https://push.example.net/wpush/v2/gAAAAABn',
        expirationTime: null,
        keys: {
          p256dh:
            'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
          auth: 'tBHItJI5svbpez7KI4CCXg',
        },
      },
    ],
  },
);
export type PushSubscriptionBody = Static<typeof PushSubscriptionBody>;

export const PushUnsubscribeBody = Type.Object(
  { endpoint: Type.String({ minLength: 1, maxLength: MAX_PUSH_ENDPOINT_LENGTH }) },
  { $id: 'PushUnsubscribeBody' },
);
export type PushUnsubscribeBody = Static<typeof PushUnsubscribeBody>;

export const PushKey = Type.Object(
  {
    public_key: Type.String({
      description:
        "The server's VAPID public key (base64url, uncompressed P-256 point): `applicationServerKey` of `pushManager.subscribe`",
    }),
  },
  { $id: 'PushKey' },
);
export type PushKey = Static<typeof PushKey>;

/** The JSON payload of a push message (encrypted, aes128gcm), read by the service worker. */
export interface PushNotification {
  type: 'message';
  room_id: string;
  /** The room's name; for a direct message the author's name. */
  room_name: string;
  room_kind: 'room' | 'dm';
  message_id: string;
  seq: number;
  author: string;
  /** The start of the message's text. */
  excerpt: string;
  /** Where the message is shown, relative to the server: `/#/room/{room_id}/m/{seq}`. */
  url: string;
}

/** Characters of a message's text in a notification. */
export const PUSH_EXCERPT_LENGTH = 140;

/** The start of `content`, whole code points, with an ellipsis when cut. */
export function pushExcerpt(content: string): string {
  const chars = Array.from(content.trim());
  if (chars.length <= PUSH_EXCERPT_LENGTH) return chars.join('');
  return `${chars.slice(0, PUSH_EXCERPT_LENGTH - 1).join('')}…`;
}

/** The client's URL of a message (client route `#/room/{id}/m/{seq}`). */
export const messageUrl = (roomId: string, seq: number): string =>
  `/#/room/${encodeURIComponent(roomId)}/m/${seq}`;
