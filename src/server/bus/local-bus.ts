import type { BusEvent } from './bus-events.js';
import type { BusHandler, MessageBus, Unsubscribe } from './message-bus.js';

/** In-process delivery for a single server: synchronous, ordered, no serialization. */
export class LocalBus implements MessageBus {
  private readonly topics = new Map<string, Set<BusHandler>>();

  async init(): Promise<void> {}

  async publish(event: BusEvent): Promise<void> {
    const handlers = this.topics.get(event.roomId);
    if (!handlers) return;
    // One failing subscriber must not keep the event from the others.
    let failure: unknown;
    for (const handler of handlers) {
      try {
        handler(event);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  subscribe(roomId: string, handler: BusHandler): Unsubscribe {
    let handlers = this.topics.get(roomId);
    if (!handlers) {
      handlers = new Set();
      this.topics.set(roomId, handlers);
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.topics.get(roomId) === handlers) this.topics.delete(roomId);
    };
  }

  /** Delivery is synchronous: a subscription is live at once. */
  subscribed(_roomId: string): Promise<void> {
    return Promise.resolve();
  }

  /** In-process delivery cannot lose events, so there is never a reconnect. */
  onReconnect(_listener: () => void): Unsubscribe {
    return () => {};
  }

  /** Rooms with at least one subscriber (for leak checks). */
  topicCount(): number {
    return this.topics.size;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.topics.clear();
  }
}
