// Web Push in the page (README "Notifications"): whether this browser can get
// notifications, and turning them on (permission, subscribe with the server's
// VAPID key, hand the subscription to the server) or off. The service worker
// (sw.ts) shows what arrives.
import type { PushKey, PushSubscriptionBody } from '../protocol/push.js';
import { type Api, ApiError } from './api.js';

/**
 * `unsupported`: no service worker, Push API or secure context here; `unavailable`:
 * the server has push off; `denied`: the reader blocked notifications for this site.
 */
export type PushState = 'unsupported' | 'unavailable' | 'denied' | 'off' | 'on';

export function pushSupported(): boolean {
  return (
    typeof window !== 'undefined' &&
    window.isSecureContext &&
    'serviceWorker' in navigator &&
    'PushManager' in window &&
    'Notification' in window
  );
}

/** The VAPID key as `applicationServerKey` wants it. */
function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

const READY_TIMEOUT_MS = 5_000;

/** Subscriptions already handed to the server from this page, per reader. */
const synced = new Set<string>();

export class PushSettings {
  constructor(
    private readonly api: Api,
    /** Open mode's reader; the server ignores it in accounts mode. */
    private readonly username: string,
  ) {}

  private path(): string {
    return `/api/chat/push/subscriptions?username=${encodeURIComponent(this.username)}`;
  }

  /** The current subscription, without waiting for a worker that may never come. */
  private async current(): Promise<PushSubscription | null> {
    const reg = await navigator.serviceWorker.getRegistration();
    return (await reg?.pushManager.getSubscription()) ?? null;
  }

  /** The service worker's registration; it may never come (registration failed): then an error. */
  private registration(): Promise<ServiceWorkerRegistration> {
    return Promise.race([
      navigator.serviceWorker.ready,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no service worker')), READY_TIMEOUT_MS),
      ),
    ]);
  }

  /** The current state; an existing subscription is (re)given to the server for this reader. */
  async state(): Promise<PushState> {
    if (!pushSupported()) return 'unsupported';
    if (Notification.permission === 'denied') return 'denied';
    const sub = await this.current();
    if (!sub || Notification.permission !== 'granted') return 'off';
    // The browser may have been subscribed under another name or account.
    const key = `${this.username}\n${sub.endpoint}`;
    if (!synced.has(key)) {
      try {
        await this.api.call<void>('POST', this.path(), sub.toJSON());
        synced.add(key);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return 'unavailable';
        throw err;
      }
    }
    return 'on';
  }

  /** Asks for permission (must run from a click), subscribes, tells the server. */
  async enable(): Promise<PushState> {
    if (!pushSupported()) return 'unsupported';
    let key: PushKey;
    try {
      key = await this.api.call<PushKey>('GET', '/api/chat/push/key');
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return 'unavailable';
      throw err;
    }
    const permission = await Notification.requestPermission();
    if (permission === 'denied') return 'denied';
    if (permission !== 'granted') return 'off';
    const reg = await this.registration();
    let sub = await reg.pushManager.getSubscription();
    const wanted = keyBytes(key.public_key);
    // A subscription made with another server key (the keys were replaced) cannot be used.
    const current = sub?.options.applicationServerKey;
    if (sub && current && !sameBytes(new Uint8Array(current), wanted)) {
      await sub.unsubscribe();
      sub = null;
    }
    sub ??= await reg.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: wanted,
    });
    await this.api.call<void>('POST', this.path(), sub.toJSON() as PushSubscriptionBody);
    synced.add(`${this.username}\n${sub.endpoint}`);
    return 'on';
  }

  /** Unsubscribes this browser and tells the server (which may have forgotten it already). */
  async disable(): Promise<PushState> {
    if (!pushSupported()) return 'unsupported';
    const sub = await this.current();
    if (!sub) return 'off';
    const endpoint = sub.endpoint;
    await sub.unsubscribe();
    for (const key of synced) if (key.endsWith(`\n${endpoint}`)) synced.delete(key);
    try {
      await this.api.call<void>('DELETE', this.path(), { endpoint });
    } catch (err) {
      // Gone already (or push turned off on the server): nothing more to undo.
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    return 'off';
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
