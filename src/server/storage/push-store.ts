/** One browser's push subscription, owned by a reader. */
export interface StoredPushSubscription {
  endpoint: string;
  /** `u:<username>` or `a:<account id>` (domain/reader.ts). */
  reader: string;
  /** The browser's P-256 public key (base64url). */
  p256dh: string;
  /** The browser's authentication secret (base64url). */
  auth: string;
  /** ISO time it was (last) saved. */
  created_at: string;
}

/** Subscriptions kept per reader; saving more drops that reader's oldest. */
export const MAX_PUSH_SUBSCRIPTIONS_PER_READER = 20;

/**
 * Web Push subscriptions (README "Notifications"), in the same database as the
 * rooms. An endpoint is one browser's: saving it again, under any reader, moves it
 * there (the browser changed hands: a sign-out and another sign-in).
 */
export interface PushStore {
  /**
   * Saves (or moves and refreshes) the subscription; then the reader's oldest
   * beyond MAX_PUSH_SUBSCRIPTIONS_PER_READER are deleted, in the same transaction.
   */
  save(subscription: StoredPushSubscription): Promise<void>;
  /** Deletes the endpoint if `reader` owns it (any reader when null); whether it did. */
  remove(endpoint: string, reader: string | null): Promise<boolean>;
  /** The subscriptions of these readers, in no particular order. */
  forReaders(readers: readonly string[]): Promise<StoredPushSubscription[]>;
}

/** The server's VAPID key pair (base64url, as web-push makes them). */
export interface VapidKeyPair {
  publicKey: string;
  privateKey: string;
}

/** A database every process shares keeps the key pair itself (PostgreSQL). */
export interface SharedVapidKeys {
  /** `candidate` when none is stored yet (it is stored), else the stored pair. */
  vapidKeys(candidate: VapidKeyPair): Promise<VapidKeyPair>;
}
