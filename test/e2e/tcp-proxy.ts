// A TCP proxy between the browser and the server that the test can cut, to drop
// one client's connections while the server (and everyone else) keeps running.
import { connect, createServer, type Socket } from 'node:net';

export interface CutProxy {
  readonly port: number;
  readonly url: string;
  /** Drops every open connection and refuses new ones until `resume()`. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<CutProxy> {
  const sockets = new Set<Socket>();
  let paused = false;
  const server = createServer((client) => {
    if (paused) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const done = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', done);
      s.on('close', done);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    pause() {
      paused = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    resume() {
      paused = false;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
