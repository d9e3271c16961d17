// A raw HTTP/1.1 exchange over TCP, for requests no HTTP client library would
// send (malformed escapes, odd request lines, hostile upgrade headers).
import { connect } from 'node:net';

/** Writes `request` as is and resolves with the status code of the answer (null: closed without one). */
export function rawRequest(
  port: number,
  request: string,
  timeoutMs = 5_000,
): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const done = (status: number | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    const timer = setTimeout(() => done(statusOf(answer)), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) done(statusOf(answer));
    });
    socket.on('error', () => done(statusOf(answer)));
    socket.on('close', () => done(statusOf(answer)));
    socket.write(request, 'latin1');
  });
}

const statusOf = (answer: string): number | null => {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
  return match ? Number(match[1]) : null;
};

/** A WebSocket upgrade request for `target` with extra header lines. */
export function upgradeRequest(target: string, headers: Record<string, string> = {}): string {
  const lines = [
    `GET ${target} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}
