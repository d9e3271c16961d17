import { Emitter, type Unsubscribe } from './emitter.js';

/**
 * Who else is typing. Each name expires `timeoutMs` after its last `typing: true`,
 * even if the `false` never comes (a closed tab, a lost frame).
 */
export class TypingTracker {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly events = new Emitter<{ change: readonly string[] }>();

  constructor(private readonly timeoutMs = 2_000) {}

  /** Names currently typing, in the order they started. */
  names(): string[] {
    return [...this.timers.keys()];
  }

  set(username: string, isTyping: boolean): void {
    if (!isTyping) {
      this.clear(username);
      return;
    }
    const had = this.timers.has(username);
    const old = this.timers.get(username);
    if (old !== undefined) clearTimeout(old);
    this.timers.set(
      username,
      setTimeout(() => this.clear(username), this.timeoutMs),
    );
    if (!had) this.emit();
  }

  clear(username: string): void {
    const t = this.timers.get(username);
    if (t === undefined) return;
    clearTimeout(t);
    this.timers.delete(username);
    this.emit();
  }

  clearAll(): void {
    if (this.timers.size === 0) return;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.emit();
  }

  onChange(fn: (names: readonly string[]) => void): Unsubscribe {
    return this.events.on('change', fn);
  }

  private emit(): void {
    this.events.emit('change', this.names());
  }
}

/** "Alice is typing…", "Alice and Bob are typing…", … ; empty when nobody is. */
export function typingText(names: readonly string[]): string {
  const [a, b, c] = names;
  if (a === undefined) return '';
  if (b === undefined) return `${a} is typing…`;
  if (c === undefined) return `${a} and ${b} are typing…`;
  if (names.length === 3) return `${a}, ${b} and ${c} are typing…`;
  return `${a}, ${b} and ${names.length - 2} others are typing…`;
}
