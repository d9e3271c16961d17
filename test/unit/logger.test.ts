import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';
import { ConfigError } from '../../src/server/errors.js';
import { chooseLogFormat } from '../../src/server/util/logger.js';

describe('log format', () => {
  it('is pretty on a terminal and JSON otherwise, unless chosen', () => {
    expect(chooseLogFormat('auto', true)).toBe('pretty');
    expect(chooseLogFormat('auto', false)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
  });

  it('is set with CHAT_LOG_FORMAT (default auto); other values stop the boot', () => {
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(loadConfig({ CHAT_LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(() => loadConfig({ CHAT_LOG_FORMAT: 'yaml' })).toThrow(ConfigError);
  });
});
