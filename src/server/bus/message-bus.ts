import type { BusEvent } from './bus-events.js';

export type Unsubscribe = () => void;
export type BusHandler = (event: BusEvent) => void;

/**
 * Fans room events out to every server process (including this one). The store
 * stays the source of truth: a bus may lose events while disconnected, and
 * clients catch up from the store by `seq`.
 */
export interface MessageBus {
  init(): Promise<void>;
  /** Delivers `event` to every subscriber of `event.roomId`, in publish order per process. */
  publish(event: BusEvent): Promise<void>;
  subscribe(roomId: string, handler: BusHandler): Unsubscribe;
  /**
   * Resolves once events published anywhere for `roomId` from now on reach this
   * process's subscribers (a remote subscription is confirmed). Never rejects:
   * when the transport is down it resolves, and `onReconnect` follows later.
   */
  subscribed(roomId: string): Promise<void>;
  /**
   * Calls `listener` after the transport came back from an outage: events may
   * have been lost meanwhile, so subscribers catch up from the store.
   */
  onReconnect(listener: () => void): Unsubscribe;
  /** Throws when the transport is unreachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
