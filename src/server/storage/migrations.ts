/** One numbered schema change; `version` orders them and need not be contiguous. */
export interface Migration {
  version: number;
  sql: string;
}

/**
 * The migrations in ascending version order, whatever order the list was written
 * in (branches merged side by side may append out of order). Gaps are fine; a
 * repeated or non-positive version is a programming error.
 */
export function orderedMigrations(list: readonly Migration[]): Migration[] {
  const sorted = [...list].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (!Number.isInteger(m.version) || m.version < 1) {
      throw new Error(`migration version must be a positive integer, got ${m.version}`);
    }
    if (i > 0 && sorted[i - 1]?.version === m.version) {
      throw new Error(`two migrations share version ${m.version}`);
    }
  });
  return sorted;
}
