// A TCP proxy in front of a service (PostgreSQL, Redis) that a test can break in
// two ways: cut (connections reset, new ones refused) or stall (bytes stop
// flowing, like a dead network), and then restore.
import { connect, createServer, type Socket } from 'node:net';

export interface FaultProxy {
  readonly port: number;
  /** Resets every connection and refuses new ones until `restore()`. */
  cut(): void;
  /** Keeps connections open (new ones too) but forwards nothing until `restore()`. */
  stall(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetHost: string, targetPort: number): Promise<FaultProxy> {
  type Mode = 'open' | 'cut' | 'stall';
  let mode: Mode = 'open';
  const pairs = new Set<[Socket, Socket]>();

  const server = createServer((client) => {
    if (mode === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const done = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    for (const s of pair) {
      s.on('error', done);
      s.on('close', done);
    }
    // While stalled, bytes are dropped, as on a dead network; the connections
    // that carried them are useless afterwards and their owners must notice.
    client.on('data', (d) => mode === 'open' && upstream.write(d));
    upstream.on('data', (d) => mode === 'open' && client.write(d));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;

  return {
    port,
    cut() {
      mode = 'cut';
      for (const pair of pairs) for (const s of pair) s.resetAndDestroy();
      pairs.clear();
    },
    stall() {
      mode = 'stall';
    },
    restore() {
      mode = 'open';
    },
    close() {
      for (const pair of pairs) for (const s of pair) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
