// Regression: one anonymous upgrade request with a malformed percent-escape in
// the path used to throw URIError inside the 'upgrade' listener and end the
// process. Run against a real child process, so an exit is seen as an exit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, upgradeRequest } from '../support/raw-http.js';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.js';

let server: SpawnedServer;
beforeAll(async () => {
  server = await spawnServer();
});
afterAll(() => server.stop('SIGTERM'));

describe('malformed upgrade requests', () => {
  it.each(['/ws/chat/%ZZ', '/ws/chat/%E0%A4%A', '/ws/chat/%', '/ws/chat/a%?username=%', '//', '*'])(
    '%s is refused and the server stays up',
    async (target) => {
      const status = await rawRequest(server.port, upgradeRequest(target));
      expect(status).not.toBeNull();
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      expect(server.pid()).toBeDefined();
    },
  );
});
