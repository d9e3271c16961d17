import type { BusEvent } from './bus-events.js';
import type { BusHandler, MessageBus, Unsubscribe } from './message-bus.js';

/** In-process delivery for a single server: synchronous, ordered, no serialization. */
export class LocalBus implements MessageBus {
  private readonly topics = new Map<string, Set<BusHandler>>();

  async init(): Promise<void> {}

  async publish(event: BusEvent): Promise<void> {
    const handlers = this.topics.get(event.roomId);
    if (!handlers) return;
    for (const handler of handlers) handler(event);
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

  /** Rooms with at least one subscriber (for leak checks). */
  topicCount(): number {
    return this.topics.size;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.topics.clear();
  }
}
