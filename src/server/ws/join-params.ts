import { Feature } from '../../protocol/changes.js';
import { CloseCode } from '../../protocol/error-codes.js';
import { EPOCH_PATTERN } from '../../protocol/frames.js';
import { nameProblem, normalizeName } from '../../protocol/text-rules.js';
import type { Actor } from '../domain/actor.js';
import type { ResumePosition } from '../domain/resume.js';

/** What a connection asks for in its query string, checked. */
export type JoinParams =
  | { ok: true; username: string; resume: ResumePosition | null; changes: boolean }
  | { ok: false; code: number; reason: string };

/**
 * Reads `username`, `since`, `epoch` and `features` from a WebSocket URL. The username is
 * trimmed and NFC ("alice " and a decomposed "alice" are "alice"); with accounts
 * it is the account's name and nothing else (`username=` is ignored). `epoch`
 * without `since` is ignored.
 */
export function parseJoinParams(
  params: URLSearchParams,
  actor: Actor,
  maxUsernameLength: number,
): JoinParams {
  const raw = actor.kind === 'user' ? actor.username : params.get('username');
  const username = raw === null ? null : normalizeName(raw);
  const problem = username === null ? 'missing' : nameProblem(username, maxUsernameLength);
  if (username === null || problem) {
    return { ok: false, code: CloseCode.INVALID_USERNAME, reason: `Invalid username: ${problem}` };
  }
  const since = params.get('since');
  if (since !== null && !/^\d{1,15}$/.test(since)) {
    return {
      ok: false,
      code: CloseCode.INVALID_REQUEST,
      reason: '`since` must be a non-negative integer',
    };
  }
  const epoch = params.get('epoch');
  if (epoch !== null && !EPOCH_PATTERN.test(epoch)) {
    return {
      ok: false,
      code: CloseCode.INVALID_REQUEST,
      reason: '`epoch` must be 1 to 64 letters, digits, - or _',
    };
  }
  // A comma list; unknown features are ignored, so clients may announce newer ones.
  const features = params.get('features')?.split(',') ?? [];
  return {
    ok: true,
    username,
    resume: since === null ? null : { since: Number(since), epoch },
    changes: features.some((f) => f.trim() === Feature.CHANGES),
  };
}
