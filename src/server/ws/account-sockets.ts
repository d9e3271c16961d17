import { CloseCode } from '../../protocol/error-codes.js';
import { ACCOUNTS_TOPIC, type BusEvent } from '../bus/bus-events.js';
import type { MessageBus, Unsubscribe } from '../bus/message-bus.js';
import type { AccountService } from '../domain/accounts.js';
import type { UserActor } from '../domain/actor.js';
import type { ChatConnection } from './connection.js';

/** How often an open socket's session is re-checked in the store (and kept alive), at most. */
const CREDENTIAL_CHECK_MS = 60_000;

/**
 * Accounts mode: the sockets of a credential that ended (logout elsewhere,
 * revoked, password changed, account deactivated) close with 4003 at once, on
 * every process, through the bus; and each open socket's credential is confirmed
 * in the store at most once a minute, which keeps its session alive, and again
 * after a bus outage, which catches a revocation whose bus event was lost.
 */
export class AccountSockets {
  private readonly unsubscribe: Unsubscribe;
  private readonly stopRechecking: Unsubscribe;
  /** When each credential of an open socket was last confirmed in the store. */
  private readonly checked = new Map<string, number>();

  constructor(
    private readonly accounts: AccountService,
    bus: MessageBus,
    private readonly connections: () => Iterable<ChatConnection>,
  ) {
    this.unsubscribe = bus.subscribe(ACCOUNTS_TOPIC, (event) => this.onEvent(event));
    // A revocation published during a bus outage was lost: confirm every credential now.
    this.stopRechecking = bus.onReconnect(() => {
      this.checked.clear();
      void this.check();
    });
  }

  private onEvent(event: BusEvent): void {
    if (event.type !== 'credentials_revoked') return;
    const ids = event.credentialIds ? new Set(event.credentialIds) : null;
    for (const conn of this.connections()) {
      const account = conn.account;
      if (account?.userId !== event.userId) continue;
      if (ids && !ids.has(account.credentialId)) continue;
      conn.close(CloseCode.SESSION_ENDED, 'Session ended');
    }
  }

  /** Confirms the credentials that are due; closes the sockets of those that ended. */
  async check(): Promise<void> {
    const now = Date.now();
    const due = new Map<string, UserActor>();
    const live = new Set<string>();
    for (const conn of this.connections()) {
      const account = conn.account;
      if (!account) continue;
      live.add(account.credentialId);
      const last = this.checked.get(account.credentialId) ?? 0;
      if (now - last >= CREDENTIAL_CHECK_MS) due.set(account.credentialId, account);
    }
    for (const id of this.checked.keys()) {
      if (!live.has(id)) this.checked.delete(id);
    }
    for (const account of due.values()) {
      this.checked.set(account.credentialId, now);
      let valid: boolean;
      try {
        valid = await this.accounts.stillValid(account);
      } catch {
        continue; // the store is down: nothing is known, nobody is cut off
      }
      if (!valid) {
        this.onEvent({
          type: 'credentials_revoked',
          roomId: ACCOUNTS_TOPIC,
          userId: account.userId,
          credentialIds: [account.credentialId],
        });
      }
    }
  }

  close(): void {
    this.unsubscribe();
    this.stopRechecking();
  }
}
