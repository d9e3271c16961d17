import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { DmBody, RenameRoomBody, UserRef } from '../../protocol/accounts.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { Room, RoomParams } from '../../protocol/rest.js';
import type { RoomService } from '../domain/room-service.js';
import { userOf } from './auth-routes.js';
import {
  apiErrors,
  authErrors,
  failure,
  invalid,
  ok,
  ref,
  refused,
  roomNotFound,
  tooLarge,
} from './responses.js';

const MemberParams = Type.Object({
  room_id: Type.String(),
  user_id: Type.String({ maxLength: 100 }),
});
type MemberParams = { room_id: string; user_id: string };
const NoContent = ok('Done; empty body', Type.Null());
const notFoundOr = (what: string) =>
  failure(`No such room (or a private room you are not in), or ${what}`, [
    {
      code: ErrorCode.ROOM_NOT_FOUND,
      detail: 'Room 0b9f7c1e-5d2a-4c1e-9a53-2f6d8e4b7a10 not found',
    },
    { code: ErrorCode.NOT_FOUND, detail: `No such ${what}` },
  ]);
const forbiddenTo = (detail: string) => refused(detail, [{ code: ErrorCode.FORBIDDEN, detail }]);

/** Accounts mode: renaming rooms, private rooms' members, and direct messages. */
export function registerMembershipRoutes(app: FastifyInstance, rooms: RoomService): void {
  app.patch<{ Params: RoomParams; Body: RenameRoomBody }>(
    '/api/chat/rooms/:room_id',
    {
      schema: {
        summary: 'Rename a room (its owner or an admin)',
        tags: ['rooms'],
        params: RoomParams,
        body: RenameRoomBody,
        response: {
          200: ok('The renamed room', ref(Room)),
          403: forbiddenTo("Only the room's owner or an admin may rename it"),
          404: roomNotFound,
          413: tooLarge,
          422: invalid(
            'Invalid name',
            ['body', 'name'],
            'Room name must not be empty',
            'string_too_short',
          ),
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    (request) => rooms.rename(userOf(request), request.params.room_id, request.body.name),
  );

  app.get<{ Params: RoomParams }>(
    '/api/chat/rooms/:room_id/members',
    {
      schema: {
        summary: "A private room's members (a public room has none: `[]`)",
        tags: ['rooms'],
        params: RoomParams,
        response: {
          200: ok('Members by username', Type.Array(ref(UserRef))),
          404: roomNotFound,
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    (request) => rooms.members(userOf(request), request.params.room_id),
  );

  app.put<{ Params: MemberParams }>(
    '/api/chat/rooms/:room_id/members/:user_id',
    {
      schema: {
        summary: 'Add a member to a private room (its owner or an admin)',
        tags: ['rooms'],
        params: MemberParams,
        response: {
          204: NoContent,
          403: forbiddenTo("Only a private room's owner or an admin may add members"),
          404: notFoundOr('account'),
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      await rooms.addMember(userOf(request), request.params.room_id, request.params.user_id);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: MemberParams }>(
    '/api/chat/rooms/:room_id/members/:user_id',
    {
      schema: {
        summary:
          'Remove a member (the owner or an admin; anyone may remove themself); their WebSockets in the room close with 4011',
        tags: ['rooms'],
        params: MemberParams,
        response: {
          204: NoContent,
          403: forbiddenTo("Only a private room's owner or an admin may remove members"),
          404: notFoundOr('member'),
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      await rooms.removeMember(userOf(request), request.params.room_id, request.params.user_id);
      return reply.code(204).send();
    },
  );

  app.post<{ Body: DmBody }>(
    '/api/chat/dms',
    {
      schema: {
        summary: 'Open the direct-message room with an account (a private room of two)',
        tags: ['rooms'],
        body: DmBody,
        response: {
          201: ok('The new DM room (`kind: "dm"`, named after the other member)', ref(Room)),
          200: ok('The DM room of this pair, which existed', ref(Room)),
          403: refused('Sent from another origin'),
          404: failure('No such active account (or yourself)', [
            { code: ErrorCode.NOT_FOUND, detail: 'No such account to message' },
          ]),
          413: tooLarge,
          422: invalid('Missing user_id', ['body', 'user_id'], 'required', 'required'),
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      const { room, created } = await rooms.openDm(userOf(request), request.body.user_id);
      return reply.code(created ? 201 : 200).send(room);
    },
  );
}
