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
  /** Throws when the transport is unreachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
