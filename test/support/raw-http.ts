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

export interface RawAnswer {
  /** Status of the answer's status line; null when there was no well-formed head. */
  status: number | null;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Record<string, string>;
  /** The body as far as it arrived (de-chunking is not needed by any test). */
  body: string;
  /** Every byte the server sent, as latin1. */
  raw: string;
  /** The server closed the connection (false: the answer was complete, or time ran out). */
  closed: boolean;
  /** Time ran out before a complete answer or a close. */
  timedOut: boolean;
}

const HEAD = /^HTTP\/1\.[01] (\d{3})(?: [^\r\n]*)?\r\n((?:[^\r\n]+\r\n)*)\r\n/;

/** How far `raw` is a complete answer: its head parsed, and its body if framed. */
function parseAnswer(
  raw: string,
  bodiless: boolean,
): {
  answer: Omit<RawAnswer, 'closed' | 'timedOut'>;
  done: boolean;
} {
  const head = HEAD.exec(raw);
  if (!head) return { answer: { status: null, headers: {}, body: '', raw }, done: false };
  const status = Number(head[1]);
  const headers: Record<string, string> = {};
  for (const line of (head[2] ?? '').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = raw.slice(head[0].length);
  const length = headers['content-length'];
  const done =
    bodiless ||
    status === 101 ||
    status === 204 ||
    status === 304 ||
    (length !== undefined && Buffer.byteLength(body, 'latin1') >= Number(length)) ||
    (headers['transfer-encoding'] === 'chunked' && body.endsWith('0\r\n\r\n'));
  return { answer: { status, headers, body, raw }, done };
}

export interface RawExchangeOptions {
  timeoutMs?: number;
  /**
   * Half-close after writing, for bytes that may not form a whole request: the
   * server then sees the end instead of waiting for more (HTTP skips blank lines
   * before a request line, so `\r\n\r\n` alone is not an error yet).
   */
  halfClose?: boolean;
}

/**
 * Writes `request` as is (a string is sent as latin1, so `\xff` is one byte) and
 * resolves with the first answer: once it is complete, the server closes, or
 * `timeoutMs` passes. The connection is then destroyed (a 101 goes no further).
 */
export function rawExchange(
  port: number | string,
  request: string | Buffer,
  { timeoutMs = 5_000, halfClose = false }: RawExchangeOptions = {},
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const bytes = typeof request === 'string' ? Buffer.from(request, 'latin1') : request;
    // The answer to HEAD announces a length but has no body.
    const bodiless = bytes.subarray(0, 5).toString('latin1') === 'HEAD ';
    const socket = connect(Number(port), '127.0.0.1');
    let raw = '';
    let settled = false;
    const finish = (closed: boolean, timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseAnswer(raw, bodiless).answer, closed, timedOut });
    };
    const timer = setTimeout(() => finish(false, true), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      raw += chunk.toString('latin1');
      if (parseAnswer(raw, bodiless).done) finish(false, false);
    });
    socket.on('error', () => finish(true, false));
    socket.on('close', () => finish(true, false));
    if (halfClose) socket.end(bytes);
    else socket.write(bytes);
  });
}
