// Property: however sends, replies, edits, deletes and reactions from several
// clients interleave, and however those clients drop, resume and retry, every
// client ends with the room the server's REST history shows
// (test/support/changes-scenario.ts says exactly what is checked).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { changesScenario, op } from '../support/changes-scenario.js';
import { startServer, type TestServer } from '../support/start-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ ws: { ratePerSec: 0 }, http: { ratePerSec: 0 } });
});
afterAll(() => server.close());

describe('messages that live, over real WebSockets', () => {
  it('every client converges to the server’s room, whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 40 }), (ops) =>
        changesScenario([server], ops),
      ),
      // Each run opens six connections and a room; a failure is reported as
      // found (shrinking replays whole conversations, minutes on a loaded machine).
      { numRuns: 25, endOnFailure: true },
    );
  }, 180_000);
});
