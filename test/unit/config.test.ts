import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_TABLE, loadConfig } from '../../src/server/config.js';
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
