// The supervisor starts each worker with SERVER_NODE_FLAGS, unless the operator
// chose a value of their own, on the command line or in NODE_OPTIONS.
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS, serverExecArgv } from '../../src/server/runtime-flags.js';

describe('serverExecArgv', () => {
  it("puts the server flags before the supervisor's own", () => {
    expect(SERVER_NODE_FLAGS).toContain('--max-semi-space-size=32');
    expect(serverExecArgv(['--enable-source-maps'])).toEqual([
      ...SERVER_NODE_FLAGS,
      '--enable-source-maps',
    ]);
    expect(serverExecArgv([])).toEqual([...SERVER_NODE_FLAGS]);
  });

  it("keeps the operator's value, given on the command line or in NODE_OPTIONS", () => {
    expect(serverExecArgv(['--max-semi-space-size=8'])).toEqual(['--max-semi-space-size=8']);
    expect(serverExecArgv([], '--trace-warnings  --max-semi-space-size=64')).toEqual([]);
    expect(serverExecArgv([], '--max-old-space-size=4096')).toEqual([...SERVER_NODE_FLAGS]);
  });
});
