/** A function that removes the listener it was returned for. */
export type Unsubscribe = () => void;

/**
 * A tiny typed event emitter. `on` returns its own undo function, so views can
 * collect unsubscribers and drop them all when they are destroyed.
 */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(data: never) => void>>();

  on<K extends keyof Events>(event: K, fn: (data: Events[K]) => void): Unsubscribe {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(fn as (data: never) => void);
    return () => {
      set.delete(fn as (data: never) => void);
    };
  }

  emit<K extends keyof Events>(event: K, data: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    // Copy first: a listener may unsubscribe (itself or others) while we iterate.
    for (const fn of [...set]) {
      (fn as (data: Events[K]) => void)(data);
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
