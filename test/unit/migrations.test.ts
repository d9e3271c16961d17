import { describe, expect, it } from 'vitest';
import { orderedMigrations } from '../../src/server/storage/migrations.js';
import { POSTGRES_MIGRATIONS } from '../../src/server/storage/postgres-migrations.js';
import { SQLITE_MIGRATIONS } from '../../src/server/storage/sqlite-migrations.js';

describe('migration order', () => {
  it('runs migrations in version order whatever the list order, gaps allowed', () => {
    const list = [
      { version: 1, sql: 'a' },
      { version: 5, sql: 'c' },
      { version: 2, sql: 'b' },
    ];
    expect(orderedMigrations(list).map((m) => m.version)).toEqual([1, 2, 5]);
    expect(() => orderedMigrations([...list, { version: 2, sql: 'x' }])).toThrow(/version 2/);
    expect(() => orderedMigrations([{ version: 0, sql: 'x' }])).toThrow(/positive/);
  });

  it('ships the same versions for SQLite and PostgreSQL', () => {
    const versions = (l: typeof SQLITE_MIGRATIONS) => orderedMigrations(l).map((m) => m.version);
    expect(versions(SQLITE_MIGRATIONS)).toEqual(versions(POSTGRES_MIGRATIONS));
  });
});
