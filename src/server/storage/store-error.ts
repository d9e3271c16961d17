/**
 * A store operation failed (database unreachable, disk full, timeout…): the one
 * error type every backend's failures become. The domain answers it with
 * `STORE_FAILED`, REST with 503; the driver's error is the cause.
 */
export class StoreError extends Error {
  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    super(`store operation ${operation} failed`, { cause });
    this.name = 'StoreError';
  }
}

/** Opening and closing are not guarded: a store that cannot start is a startup error, shown as is. */
const UNGUARDED = new Set<PropertyKey>(['init', 'close']);

/**
 * Wraps a store so that every failed operation is reported once (metrics, logs)
 * and thrown as a StoreError, whichever backend it is.
 */
export function guardStore<T extends object>(
  store: T,
  onError: (operation: string, error: unknown) => void,
): T {
  // One wrapper per method, made on first use: store calls are on the send path.
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const made = wrappers.get(property);
      if (made !== undefined) return made;
      const operation = String(property);
      // Called on the store itself, so its own calls (`this.x()`) stay unwrapped.
      const wrapper = UNGUARDED.has(property)
        ? value.bind(target)
        : async (...args: unknown[]) => {
            try {
              return await value.apply(target, args);
            } catch (error) {
              if (error instanceof StoreError) throw error;
              onError(operation, error);
              throw new StoreError(operation, error);
            }
          };
      wrappers.set(property, wrapper);
      return wrapper;
    },
  });
}
