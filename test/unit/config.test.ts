import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { CONFIG_TABLE, ConfigSchema, loadConfig } from '../../src/server/config.js';
import { ConfigError } from '../../src/server/errors.js';

describe('config', () => {
  it('has documented defaults', () => {
    const cfg = loadConfig({});
    expect(cfg.port).toBe(8000);
    expect(cfg.dbPath).toBe('./data/parley.db');
    expect(cfg.limits.maxContentLength).toBe(16_000);
  });

  it('parses values into their types', () => {
    const cfg = loadConfig({
      PORT: '9000',
      CHAT_WS_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
    });
    expect(cfg.port).toBe(9000);
    expect(cfg.ws.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('lists every bad variable at once', () => {
    try {
      loadConfig({ PORT: 'eighty', CHAT_SQLITE_SYNC: 'sometimes' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toHaveLength(2);
    }
  });

  it('is documented in the README: every variable with its default', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const opt of CONFIG_TABLE) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${opt.env}\``));
      expect(row, `README lacks a row for ${opt.env}`).toBeDefined();
      expect(row, `README default for ${opt.env}`).toContain(
        opt.default === '' ? '(none)' : `\`${opt.default}\``,
      );
    }
  });
});

describe('config: backends', () => {
  it('follows the URLs by default (auto)', () => {
    expect(loadConfig({}).backends).toEqual({
      store: 'sqlite',
      bus: 'local',
      presence: 'local',
      blobs: 'fs',
    });
    expect(
      loadConfig({ DATABASE_URL: 'postgres://h/db', REDIS_URL: 'redis://h:6379' }).backends,
    ).toEqual({ store: 'postgres', bus: 'redis', presence: 'redis', blobs: 'postgres' });
  });

  it('takes explicit settings', () => {
    const cfg = loadConfig({ REDIS_URL: 'redis://h:6379', CHAT_PRESENCE: 'local' });
    expect(cfg.backends).toEqual({ store: 'sqlite', bus: 'redis', presence: 'local', blobs: 'fs' });
    // files in a folder beside PostgreSQL (a shared filesystem, by choice)
    const fsBlobs = loadConfig({ DATABASE_URL: 'postgres://h/db', CHAT_BLOB_STORE: 'fs' });
    expect(fsBlobs.backends.blobs).toBe('fs');
  });

  it.each([
    [{ CHAT_STORE: 'postgres' }, /DATABASE_URL/],
    [{ CHAT_BUS: 'redis' }, /REDIS_URL/],
    [{ REDIS_URL: 'redis://h:6379', CHAT_BUS: 'local', CHAT_PRESENCE: 'redis' }, /CHAT_BUS=redis/],
    [{ CHAT_STORE: 'mysql' }, /CHAT_STORE/],
    [{ CHAT_BLOB_STORE: 'postgres' }, /CHAT_BLOB_STORE=postgres needs DATABASE_URL/],
    [{ CHAT_BLOB_STORE: 's3' }, /CHAT_BLOB_STORE/],
    [{ CHAT_UPLOAD_SWEEP_MS: '0' }, /CHAT_UPLOAD_SWEEP_MS/],
    [{ PORT: '70000' }, /PORT/],
  ])('refuses a combination that cannot work: %o', (env, problem) => {
    expect(() => loadConfig(env)).toThrow(problem);
  });
});

describe('config: schema and table agree', () => {
  /** Every leaf path of the schema, e.g. `limits.maxFrameBytes`. */
  function leaves(schema: TSchema, prefix = ''): string[] {
    if (schema.type !== 'object' || !schema.properties) return [prefix];
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([key, sub]) =>
      leaves(sub, prefix ? `${prefix}.${key}` : key),
    );
  }

  it('has exactly one environment variable per setting', () => {
    const paths = CONFIG_TABLE.map((opt) => opt.path);
    expect([...paths].sort()).toEqual(leaves(ConfigSchema).sort());
  });
});
