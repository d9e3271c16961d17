// Baseline 2: what most Node users would pick. A Socket.IO 4 server with the
// same room semantics; each Parley frame is emitted as an event named after its
// type whose payload is the frame itself: `42["message",{"type":"message","data":{...}}]`.
// Stores nothing, validates nothing.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import {
  handleHttp,
  type InboundMessage,
  listenArgs,
  messageData,
  presenceNotice,
  Rooms,
} from './common.js';

export function startSocketIo(host: string, port: number) {
  const rooms = new Rooms();
  const server = createServer(handleHttp);
  const io = new Server(server, { serveClient: false, perMessageDeflate: false });

  io.on('connection', (socket) => {
    const roomId = String(socket.handshake.query.room ?? '');
    const username = String(socket.handshake.query.username ?? 'anonymous');
    const room = rooms.get(roomId);
    socket.join(roomId);
    const users = rooms.join(room, username);
    if (users) {
      io.to(roomId).emit('join', { type: 'join', data: presenceNotice('join', username) });
      io.to(roomId).emit('user_list', { type: 'user_list', data: { users } });
    } else {
      socket.emit('user_list', { type: 'user_list', data: { users: [...room.users.keys()] } });
    }
    socket.on('message', (m: InboundMessage) => {
      if (m?.type !== 'message') return;
      const frame = { type: 'message', data: messageData(roomId, room, username, m) };
      io.to(roomId).emit('message', frame);
    });
    socket.on('get_users', () => {
      socket.emit('user_list', { type: 'user_list', data: { users: [...room.users.keys()] } });
    });
    socket.on('disconnect', () => {
      const left = rooms.leave(room, username);
      if (left) {
        io.to(roomId).emit('leave', { type: 'leave', data: presenceNotice('leave', username) });
        io.to(roomId).emit('user_list', { type: 'user_list', data: { users: left } });
      }
    });
  });
  return new Promise<typeof server>((resolve) => server.listen(port, host, () => resolve(server)));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  const { host, port } = listenArgs();
  await startSocketIo(host, port);
}
