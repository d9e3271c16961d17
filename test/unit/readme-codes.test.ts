// The README's error code and close code tables list exactly the codes in
// src/protocol/error-codes.ts, with the statuses and channels code-docs.ts gives.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODE_DOCS, ERROR_CODE_DOCS } from '../../src/protocol/code-docs.js';
import { CloseCode, ErrorCode } from '../../src/protocol/error-codes.js';
import { firstCode, markdownTable, statusesIn } from '../support/api-docs.js';

const readme = readFileSync('README.md', 'utf8');

describe('README code tables', () => {
  it('lists every error code once, with its REST status and whether WebSocket sends it', () => {
    const rows = markdownTable(readme, '## Error codes');
    const codes = rows.map(([code = '']) => firstCode(code));
    expect([...codes].sort()).toEqual(Object.values(ErrorCode).sort());
    for (const [cell = '', rest = '', ws = ''] of rows) {
      const code = firstCode(cell) as ErrorCode;
      expect(statusesIn(rest).map(Number), `${code} REST status`).toEqual(
        ERROR_CODE_DOCS[code].http,
      );
      expect(ws === 'yes', `${code} in WebSocket error frames`).toBe(ERROR_CODE_DOCS[code].ws);
    }
  });

  it('lists every close code once', () => {
    const rows = markdownTable(readme, '### Close codes');
    const codes = rows.map(([code = '']) => Number(firstCode(code)));
    expect([...codes].sort()).toEqual(Object.values(CloseCode).sort());
    expect(Object.keys(CLOSE_CODE_DOCS).sort()).toEqual(Object.keys(CloseCode).sort());
  });
});
