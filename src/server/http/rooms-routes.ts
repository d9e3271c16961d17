import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { CreateRoomBody, HistoryQuery, Message, Room, RoomParams } from '../../protocol/rest.js';
import type { RoomService } from '../domain/room-service.js';
import { apiErrors, invalid, ok, ref, roomNotFound, tooLarge } from './responses.js';

/** The original REST API: `/api/chat/rooms` and a room's message history. */
export function registerRoomRoutes(app: FastifyInstance, rooms: RoomService): void {
  app.post<{ Body: CreateRoomBody }>(
    '/api/chat/rooms',
    {
      schema: {
        summary: 'Create a room',
        tags: ['rooms'],
        body: CreateRoomBody,
        response: {
          201: ok('The new room', ref(Room)),
          413: tooLarge,
          422: invalid(
            'The body is not a JSON object with a valid `name`',
            ['body', 'name'],
            'Room name must not be empty',
            'string_too_short',
          ),
          ...apiErrors,
        },
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
        response: { 200: ok('Every room, oldest first', Type.Array(ref(Room))), ...apiErrors },
      },
    },
    async () => rooms.list(),
  );

  app.get<{ Params: RoomParams; Querystring: HistoryQuery }>(
    '/api/chat/rooms/:room_id/messages',
    {
      schema: {
        summary: 'Message history: the most recent `limit` messages, oldest first',
        tags: ['messages'],
        params: RoomParams,
        querystring: HistoryQuery,
        response: {
          200: ok('The messages, oldest first (ascending `seq`)', Type.Array(ref(Message))),
          404: roomNotFound,
          422: invalid(
            'Invalid `limit` or `before`',
            ['query', 'limit'],
            'must be >= 1',
            'minimum',
          ),
          ...apiErrors,
        },
      },
    },
    async (request) =>
      rooms.history(request.params.room_id, request.query.limit, request.query.before),
  );

  app.delete<{ Params: RoomParams }>(
    '/api/chat/rooms/:room_id',
    {
      schema: {
        summary: 'Delete a room and its messages; members are disconnected with 4010',
        tags: ['rooms'],
        params: RoomParams,
        response: {
          204: ok('Deleted, with its messages; empty body', Type.Null()),
          404: roomNotFound,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      await rooms.delete(request.params.room_id);
      return reply.code(204).send();
    },
  );
}
