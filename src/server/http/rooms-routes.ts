import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { EPOCH_HEADER } from '../../protocol/frames.js';
import {
  CreateRoomBody,
  ErrorBody,
  HistoryQuery,
  Message,
  Room,
  RoomParams,
} from '../../protocol/rest.js';
import type { RoomService } from '../domain/room-service.js';

const errors = { 404: ErrorBody, 422: ErrorBody };

/** The original REST API: `/api/chat/rooms` and a room's message history. */
export function registerRoomRoutes(app: FastifyInstance, rooms: RoomService): void {
  app.post<{ Body: CreateRoomBody }>(
    '/api/chat/rooms',
    {
      schema: {
        summary: 'Create a room',
        tags: ['rooms'],
        body: CreateRoomBody,
        response: { 201: Room, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const room = await rooms.create(request.body.name);
      return reply.code(201).send(room);
    },
  );

  app.get(
    '/api/chat/rooms',
    {
      schema: {
        summary: 'List rooms, oldest first',
        tags: ['rooms'],
        response: { 200: Type.Array(Room) },
      },
    },
    async () => rooms.list(),
  );

  app.get<{ Params: RoomParams; Querystring: HistoryQuery }>(
    '/api/chat/rooms/:room_id/messages',
    {
      schema: {
        summary: 'Message history: the most recent `limit` messages, oldest first',
        description:
          'The `Parley-Epoch` response header names the history epoch; a client resuming ' +
          'over WebSocket sends it back as `epoch=` with `since=`.',
        tags: ['messages'],
        params: RoomParams,
        querystring: HistoryQuery,
        response: { 200: Type.Array(Message), ...errors },
      },
    },
    async (request, reply) => {
      // Read before the page: a page is never labelled with a newer epoch than its
      // data (at worst an older one, which costs the client one extra reload).
      const epoch = await rooms.epoch();
      const page = await rooms.history(
        request.params.room_id,
        request.query.limit,
        request.query.before,
      );
      reply.header(EPOCH_HEADER, epoch);
      return page;
    },
  );

  app.delete<{ Params: RoomParams }>(
    '/api/chat/rooms/:room_id',
    {
      schema: {
        summary: 'Delete a room and its messages; members are disconnected with 4010',
        tags: ['rooms'],
        params: RoomParams,
        response: { 204: Type.Null(), 404: ErrorBody },
      },
    },
    async (request, reply) => {
      await rooms.delete(request.params.room_id);
      return reply.code(204).send();
    },
  );
}
