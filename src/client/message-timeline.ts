import type { MessageChange } from '../protocol/changes.js';
import type { LiveMessage } from './live-types.js';
import { applyChange, updatedPreview } from './message-changes.js';

/**
 * The confirmed messages of a room, kept exactly like the server's history: one
 * entry per seq (duplicates from replays, echoes or REST reloads are dropped),
 * always ordered by seq. Changes (edits, deletes, reactions) from the room's log
 * are applied to the messages they name, idempotently, so replays converge.
 */
export class MessageTimeline {
  private list: LiveMessage[] = [];
  private readonly bySeq = new Map<number, LiveMessage>();
  private readonly byId = new Map<string, LiveMessage>();
  /** Messages deleted while we watched: a late page that still has one does not bring it back. */
  private readonly deleted = new Set<string>();
  /** Bumped per message whenever a change alters it, so views know to redraw it. */
  private readonly revs = new Map<string, number>();
  /**
   * Per message, the seq of the newest change applied. A retried change is
   * answered with the change it made the first time, which may come after newer
   * ones (another tab's edit, an unreact): applying it again would undo them.
   */
  private readonly changedSeq = new Map<string, number>();
  private logSeqValue = 0;

  get messages(): readonly LiveMessage[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  get firstSeq(): number | undefined {
    return this.list[0]?.seq;
  }

  get lastSeq(): number | undefined {
    return this.list[this.list.length - 1]?.seq;
  }

  /**
   * The newest log entry seen (message or change): where a resume starts. Changes
   * take seqs from the same counter as messages, so this may be past `lastSeq`.
   */
  get logSeq(): number {
    return Math.max(this.logSeqValue, this.lastSeq ?? 0);
  }

  has(seq: number): boolean {
    return this.bySeq.has(seq);
  }

  get(id: string): LiveMessage | undefined {
    return this.byId.get(id);
  }

  /** How many times the message with `id` was changed since it was added. */
  rev(id: string): number {
    return this.revs.get(id) ?? 0;
  }

  /** Adds one message; returns false when it was already there. */
  add(m: LiveMessage): boolean {
    if (m.seq > this.logSeqValue) this.logSeqValue = m.seq;
    if (this.bySeq.has(m.seq) || this.byId.has(m.id) || this.deleted.has(m.id)) return false;
    this.bySeq.set(m.seq, m);
    this.byId.set(m.id, m);
    const last = this.list[this.list.length - 1];
    if (!last || m.seq > last.seq) {
      this.list.push(m);
      return true;
    }
    this.list.splice(this.indexOfSeq(m.seq), 0, m);
    return true;
  }

  /** Adds several messages; returns the ones that were new. */
  addMany(ms: readonly LiveMessage[]): LiveMessage[] {
    const added: LiveMessage[] = [];
    for (const m of ms) if (this.add(m)) added.push(m);
    return added;
  }

  /**
   * Applies one change from the room's log; returns whether anything we hold
   * changed (a change to a message we have not loaded changes nothing: its page
   * will come in its current state).
   */
  apply(c: MessageChange): boolean {
    if (c.seq > this.logSeqValue) this.logSeqValue = c.seq;
    if (c.seq <= (this.changedSeq.get(c.message_id) ?? 0)) return false;
    this.changedSeq.set(c.message_id, c.seq);
    const m = this.byId.get(c.message_id);
    if (c.kind === 'delete') this.deleted.add(c.message_id);
    if (!m) return this.updatePreviews(c) > 0;
    const next = applyChange(m, c);
    if (next === m) return false;
    if (next === null) this.remove(m);
    else this.replace(m, next);
    this.updatePreviews(c);
    return true;
  }

  clear(): void {
    this.list = [];
    this.bySeq.clear();
    this.byId.clear();
    this.revs.clear();
    this.changedSeq.clear();
    this.logSeqValue = 0;
    // `deleted` stays: a rebuilt history omits them anyway, and it keeps late pages honest.
  }

  private indexOfSeq(seq: number): number {
    // Binary search for the first element with a seq not below `seq`.
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.list[mid]?.seq ?? 0) < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private replace(m: LiveMessage, next: LiveMessage): void {
    const i = this.indexOfSeq(m.seq);
    if (this.list[i] === m) this.list[i] = next;
    this.bySeq.set(m.seq, next);
    this.byId.set(m.id, next);
    this.revs.set(m.id, this.rev(m.id) + 1);
  }

  private remove(m: LiveMessage): void {
    const i = this.indexOfSeq(m.seq);
    if (this.list[i] === m) this.list.splice(i, 1);
    this.bySeq.delete(m.seq);
    this.byId.delete(m.id);
    this.revs.delete(m.id);
  }

  /** Replies quoting the changed message show its new excerpt (or that it is gone). */
  private updatePreviews(c: MessageChange): number {
    if (c.kind !== 'edit' && c.kind !== 'delete') return 0;
    const original =
      c.kind === 'delete'
        ? { id: c.message_id, deleted: true as const }
        : { id: c.message_id, content: c.content ?? '' };
    let n = 0;
    for (const m of this.list) {
      if (m.reply_to?.id !== c.message_id) continue;
      const next = updatedPreview(m, original);
      if (next !== m) {
        this.replace(m, next);
        n++;
      }
    }
    return n;
  }
}
