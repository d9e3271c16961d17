import { type Static, Type } from '@sinclair/typebox';
import { nameProblem, normalizeName } from '../../protocol/text-rules.js';
import { validationFailed } from '../errors.js';

export const ReaderQuery = Type.Object({
  username: Type.Optional(
    Type.String({
      maxLength: 1000,
      description:
        'Open mode (required there): whose sidebar, same rules as chat usernames. Accounts mode: ignored, the signed-in account is the reader',
    }),
  ),
});
export type ReaderQuery = Static<typeof ReaderQuery>;

/**
 * The open-mode username in `raw` (normalized), or VALIDATION_FAILED at `loc`;
 * the same rules as a sender's name.
 */
export function openUsername(
  raw: string | undefined,
  maxLength: number,
  loc: (string | number)[],
): string {
  if (raw === undefined)
    throw validationFailed(loc, 'username is required in open mode', 'missing');
  const username = normalizeName(raw);
  const problem = nameProblem(username, maxLength);
  if (problem) throw validationFailed(loc, `Invalid username: ${problem}`, 'value_error');
  return username;
}
