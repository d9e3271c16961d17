import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Caps the idle HTTP connections of `server`: sockets open without a request in
 * flight (keep-alive between requests, or connected and not yet done sending a
 * request). Past `max`, the longest-idle one is closed, so a client holding many
 * idle sockets cannot crowd out new ones. Timeouts (headers, keep-alive) bound how
 * long each lasts; this bounds how many there are. WebSockets leave the set on upgrade.
 */
export function capIdleConnections(server: Server, max: number): void {
  if (max <= 0) return;
  // Insertion order is idle order: the first entry has been idle longest.
  const idle = new Set<Socket>();
  // One listener for every socket, not a closure each: a WebSocket keeps its
  // socket for hours, and 20,000 of them would keep 20,000 closures (and wrappers).
  function forget(this: Socket): void {
    idle.delete(this);
  }
  const markIdle = (socket: Socket): void => {
    if (socket.destroyed) return;
    idle.add(socket);
    if (idle.size <= max) return;
    const oldest = idle.values().next().value as Socket;
    idle.delete(oldest);
    oldest.destroy();
  };
  server.on('connection', (socket: Socket) => {
    socket.on('close', forget);
    markIdle(socket);
  });
  // Requests in flight per socket (more than one only with pipelining).
  const busy = new WeakMap<Socket, number>();
  server.on('request', (request, response) => {
    const socket = request.socket;
    idle.delete(socket);
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const left = (busy.get(socket) ?? 1) - 1;
      busy.set(socket, left);
      // Without keep-alive the socket closes next and leaves the set again.
      if (left === 0) markIdle(socket);
    });
  });
  server.on('upgrade', (request) => {
    idle.delete(request.socket);
    request.socket.off('close', forget);
  });
}
