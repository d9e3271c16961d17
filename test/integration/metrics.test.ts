import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoom } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { eventually, TestClient } from '../support/ws-client.js';

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  // two apps in one process: each has its own registry, nothing collides
  [a, b] = await Promise.all([
    startServer({ ws: { ratePerSec: 0 } }),
    startServer({ ws: { ratePerSec: 0 } }),
  ]);
});
afterAll(() => Promise.all([a.close(), b.close()]));

/** The samples of one metric in Prometheus text, by label set. */
async function scrape(server: TestServer): Promise<Map<string, number>> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('/metrics', () => {
  it('counts connections, rooms, messages, echo latency and resumes, labelled with the process', async () => {
    const node = a.app.nodeId;
    const label = (extra = '') => `{${extra}node="${node}"}`;
    const room = await createRoom(a.url);
    const alice = await TestClient.join(a.wsUrl, room.id, 'alice');
    const bob = await TestClient.join(a.wsUrl, room.id, 'bob');
    for (let i = 0; i < 3; i++) await alice.say(`m${i}`);
    await bob.next('message', (m) => m.seq === 3);
    const resumed = await TestClient.join(a.wsUrl, room.id, 'carol', { since: 1 });

    const m = await scrape(a);
    expect(m.get(`parley_connections_open${label()}`)).toBe(3);
    expect(m.get(`parley_rooms_active${label()}`)).toBe(1);
    expect(m.get(`parley_messages_received_total${label()}`)).toBe(3);
    // each message to alice and bob (carol's replay is counted as a resume)
    expect(m.get(`parley_messages_delivered_total${label()}`)).toBe(6);
    expect(m.get(`parley_send_echo_seconds_count${label()}`)).toBe(3);
    expect(m.get(`parley_send_echo_seconds_bucket${label('le="+Inf",')}`)).toBe(3);
    expect(m.get(`parley_resumes_total${label()}`)).toBe(1);
    expect(m.get(`parley_slow_consumers_dropped_total${label()}`)).toBe(0);
    expect([...m.keys()].some((k) => k.startsWith('process_resident_memory_bytes'))).toBe(true);

    // the other app saw none of it
    const other = await scrape(b);
    expect(other.get(`parley_messages_received_total{node="${b.app.nodeId}"}`)).toBe(0);
    expect(other.get(`parley_connections_open{node="${b.app.nodeId}"}`)).toBe(0);

    await Promise.all([alice.close(), bob.close(), resumed.close()]);
    await eventually(async () => (await scrape(a)).get(`parley_connections_open${label()}`) === 0);
    expect((await scrape(a)).get(`parley_rooms_active${label()}`)).toBe(0);
  });

  it('is not part of the API documentation', async () => {
    const doc = (await (await fetch(`${a.url}/docs/json`)).json()) as { paths: object };
    expect(Object.keys(doc.paths)).not.toContain('/metrics');
  });
});
