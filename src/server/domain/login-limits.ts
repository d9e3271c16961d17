import type { AccountStore, LoginCounter } from '../storage/account-store.js';

export interface LoginLimitOptions {
  /** Failures per account before attempts must wait. */
  freePerAccount: number;
  /** Failures per client address before attempts must wait. */
  freePerAddress: number;
  /** Longest wait, in seconds. */
  maxDelaySec: number;
}

/**
 * Slows password guessing without locking anyone out for good. After the free
 * failures, each further attempt must wait 1 s, 2 s, 4 s, … (capped at
 * `maxDelaySec`) after the previous failure; a counter is forgotten after four
 * times the cap without a failure, and a successful login clears its account's.
 * Counters live in the store, so every server process sees the same ones.
 */
export class LoginLimits {
  /** The attempt in progress per account and per address, in this process. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly store: AccountStore,
    private readonly opts: LoginLimitOptions,
  ) {}

  private keys(usernameKey: string, address: string): [string, string] {
    return [`user:${usernameKey}`, `ip:${address}`];
  }

  /** Seconds to wait before this attempt may be tried; 0 when it may. */
  async wait(usernameKey: string, address: string, now = Date.now()): Promise<number> {
    const [user, ip] = this.keys(usernameKey, address);
    const counters = await this.store.loginCounters([user, ip]);
    return Math.max(
      this.waitFor(counters.get(user), this.opts.freePerAccount, now),
      this.waitFor(counters.get(ip), this.opts.freePerAddress, now),
    );
  }

  private waitFor(counter: LoginCounter | undefined, free: number, now: number): number {
    if (!counter) return 0;
    const last = Date.parse(counter.last_failure_at);
    if (now - last > this.forgetMs()) return 0;
    const over = counter.failures - free;
    if (over <= 0) return 0;
    const delayMs = Math.min(this.opts.maxDelaySec, 2 ** Math.min(over - 1, 30)) * 1000;
    return Math.max(0, Math.ceil((last + delayMs - now) / 1000));
  }

  private forgetMs(): number {
    return this.opts.maxDelaySec * 4 * 1000;
  }

  /**
   * Runs one login attempt after the previous one on the same account or from
   * the same address has finished, so that attempts sent in parallel cannot all
   * pass `wait` before the first failure is recorded.
   */
  async serialize<T>(usernameKey: string, address: string, attempt: () => Promise<T>): Promise<T> {
    const keys = this.keys(usernameKey, address);
    const before = keys.map((k) => this.inFlight.get(k) ?? Promise.resolve());
    let done!: () => void;
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    for (const k of keys) this.inFlight.set(k, mine);
    try {
      await Promise.all(before);
      return await attempt();
    } finally {
      done();
      for (const k of keys) if (this.inFlight.get(k) === mine) this.inFlight.delete(k);
    }
  }

  async failed(usernameKey: string, address: string, now = Date.now()): Promise<void> {
    await this.store.recordLoginFailure(
      this.keys(usernameKey, address),
      new Date(now).toISOString(),
      new Date(now - this.forgetMs()).toISOString(),
    );
  }

  async succeeded(usernameKey: string): Promise<void> {
    await this.store.clearLoginCounter(`user:${usernameKey}`);
  }
}
