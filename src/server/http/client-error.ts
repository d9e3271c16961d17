import type { Socket } from 'node:net';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ErrorBody } from '../../protocol/rest.js';

/**
 * Requests Node's HTTP parser cannot read (a garbled request line, a bare LF or
 * NUL in a header, headers over 16 KiB) never reach a route: they get a 4xx in the
 * API's `{"detail", "code"}` shape here, and the connection is closed.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  // Reset by the peer, or already gone: nobody is left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, text, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'The request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'The request took too long to arrive']
        : [400, 'Bad Request', 'The request is not valid HTTP'];
  const body = JSON.stringify({ detail, code: ErrorCode.BAD_REQUEST } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
