import type { ResyncReason, ServerEvents } from '../../protocol/frames.js';
import type { Sequenced } from './room-sequencer.js';

/** What a resume reads: the room's stored log and the history epoch. */
export interface ResumeLog<E extends Sequenced> {
  /** Log entries (messages and changes) after `afterSeq`, in seq order. */
  entriesAfter(roomId: string, afterSeq: number, limit: number): Promise<E[]>;
  latestSeq(roomId: string): Promise<number | null>;
  epoch(): Promise<string>;
}

/** A client's position: `since=` (the newest seq it has) and, if it knows it, `epoch=`. */
export interface ResumePosition {
  since: number;
  epoch: string | null;
}

/**
 * What a resume sends: the messages after `since`, in order, or a `resync` (the
 * client reloads history) when that cannot be done. Either way the connection
 * goes on from `lastSeq`, a seq the room has reached, so it is never deaf.
 */
export type ResumePlan<E extends Sequenced> =
  | { kind: 'replay'; entries: E[]; lastSeq: number }
  | { kind: 'resync'; resync: ServerEvents['resync']; lastSeq: number };

/**
 * The resume rule, in one place:
 * - an `epoch` that is not the current one names a history that was replaced
 *   (a restore): `resync`, reason `epoch`;
 * - more than `replayLimit` log entries missed (messages and changes alike): `resync`, reason `replay_limit`;
 * - `since` beyond the room's newest seq, a position this history never reached
 *   (a restore, or commits lost in a power loss): `resync`, reason `ahead`;
 * - otherwise every message after `since`.
 */
export async function planResume<E extends Sequenced>(
  log: ResumeLog<E>,
  roomId: string,
  position: ResumePosition,
  replayLimit: number,
): Promise<ResumePlan<E>> {
  const { since, epoch } = position;
  const current = epoch === null ? null : await log.epoch();
  if (epoch !== null && epoch !== current) return resync(log, roomId, since, 'epoch', current);
  const missed = await log.entriesAfter(roomId, since, replayLimit + 1);
  if (missed.length > replayLimit) return resync(log, roomId, since, 'replay_limit', current);
  if (missed.length === 0 && since > 0) {
    const latest = (await log.latestSeq(roomId)) ?? 0;
    if (since > latest) return resync(log, roomId, since, 'ahead', current, latest);
  }
  return { kind: 'replay', entries: missed, lastSeq: missed.at(-1)?.seq ?? since };
}

async function resync<E extends Sequenced>(
  log: ResumeLog<E>,
  roomId: string,
  since: number,
  reason: ResyncReason,
  knownEpoch: string | null,
  knownLatest?: number,
): Promise<ResumePlan<E>> {
  const latest = knownLatest ?? (await log.latestSeq(roomId)) ?? 0;
  const epoch = knownEpoch ?? (await log.epoch());
  // For `epoch` and `ahead` the client's position means nothing here: the whole room is new to it.
  const missed = reason === 'replay_limit' ? latest - since : latest;
  return {
    kind: 'resync',
    resync: { latest_seq: latest, missed, epoch, reason },
    lastSeq: latest,
  };
}
