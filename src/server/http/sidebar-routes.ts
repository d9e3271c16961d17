import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode } from '../../protocol/error-codes.js';
import { RoomParams } from '../../protocol/rest.js';
import { NotifyBody, ReadBody, SidebarRoom } from '../../protocol/workspace.js';
import type { Config } from '../config.js';
import { type Reader, readerOf } from '../domain/reader.js';
import type { SidebarService } from '../domain/sidebar.js';
import { openUsername, ReaderQuery } from './reader-query.js';
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
import { actorOf } from './rooms-routes.js';

const NoContent = ok('Done; empty body', Type.Null());
const notInSidebar = failure(
  'No such room (or a private room you are not in), or the room is not in your sidebar',
  [
    {
      code: ErrorCode.ROOM_NOT_FOUND,
      detail: 'Room 0b9f7c1e-5d2a-4c1e-9a53-2f6d8e4b7a10 not found',
    },
    { code: ErrorCode.NOT_FOUND, detail: 'This room is not in your sidebar' },
  ],
);
const badUsername = (also: string) =>
  invalid(
    `Open mode: a missing or invalid \`username\`${also}`,
    ['query', 'username'],
    'username is required in open mode',
    'missing',
  );

/**
 * The reader's sidebar ("rooms you are in") and read state: `/api/chat/me/rooms`.
 * Open mode: the reader is `?username=` (anyone may act as anyone, that mode's
 * trust model); accounts mode: the signed-in account.
 */
export function registerSidebarRoutes(
  app: FastifyInstance,
  sidebar: SidebarService,
  limits: Config['limits'],
  accountsMode: boolean,
): void {
  const reader = (request: FastifyRequest<{ Querystring: ReaderQuery }>): Reader => {
    const actor = actorOf(request);
    if (actor.kind === 'user') return readerOf(actor, actor.username);
    return readerOf(
      actor,
      openUsername(request.query.username, limits.maxUsernameLength, ['query', 'username']),
    );
  };
  const auth = accountsMode ? authErrors : {};
  const changeRefused = accountsMode ? { 403: refused('Sent from another origin') } : {};

  app.get<{ Querystring: ReaderQuery }>(
    '/api/chat/me/rooms',
    {
      schema: {
        summary: "The reader's sidebar with unread and mention counts, in the order joined",
        description:
          'Public rooms are in it once joined (`PUT`) or created; private rooms and DMs for every member. ' +
          "`unread`: messages after `last_read_seq`, not deleted, not the reader's own; `mentions`: of those, the ones naming the reader.",
        tags: ['sidebar'],
        querystring: ReaderQuery,
        response: {
          200: ok('The sidebar', Type.Array(ref(SidebarRoom))),
          422: badUsername(''),
          ...auth,
          ...apiErrors,
        },
      },
    },
    (request) => sidebar.list(reader(request)),
  );

  app.put<{ Params: RoomParams; Querystring: ReaderQuery }>(
    '/api/chat/me/rooms/:room_id',
    {
      schema: {
        summary: 'Add a room to the sidebar, read up to its latest message (idempotent)',
        tags: ['sidebar'],
        params: RoomParams,
        querystring: ReaderQuery,
        response: {
          200: ok('The room as the sidebar has it', ref(SidebarRoom)),
          404: roomNotFound,
          422: badUsername(''),
          ...auth,
          ...changeRefused,
          ...apiErrors,
        },
      },
    },
    (request) => sidebar.join(actorOf(request), reader(request), request.params.room_id),
  );

  app.delete<{ Params: RoomParams; Querystring: ReaderQuery }>(
    '/api/chat/me/rooms/:room_id',
    {
      schema: {
        summary: 'Take a room out of the sidebar (idempotent; a private room keeps its members)',
        tags: ['sidebar'],
        params: RoomParams,
        querystring: ReaderQuery,
        response: {
          204: NoContent,
          404: roomNotFound,
          422: badUsername(''),
          ...auth,
          ...changeRefused,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      await sidebar.leave(actorOf(request), reader(request), request.params.room_id);
      return reply.code(204).send();
    },
  );

  app.put<{ Params: RoomParams; Querystring: ReaderQuery; Body: ReadBody }>(
    '/api/chat/me/rooms/:room_id/read',
    {
      schema: {
        summary: 'Set the read position (back marks unread; past the latest seq: the latest)',
        tags: ['sidebar'],
        params: RoomParams,
        querystring: ReaderQuery,
        body: ReadBody,
        response: {
          204: NoContent,
          404: notInSidebar,
          413: tooLarge,
          422: invalid(
            'The body is not `{"seq": <integer >= 0>}`, or (open mode) a missing or invalid `username`',
            ['body', 'seq'],
            'must be >= 0',
            'minimum',
          ),
          ...auth,
          ...changeRefused,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      await sidebar.setRead(
        actorOf(request),
        reader(request),
        request.params.room_id,
        request.body.seq,
      );
      return reply.code(204).send();
    },
  );

  app.put<{ Params: RoomParams; Querystring: ReaderQuery; Body: NotifyBody }>(
    '/api/chat/me/rooms/:room_id/notify',
    {
      schema: {
        summary: "Set the room's notify level: `all`, `mentions` or `none`",
        tags: ['sidebar'],
        params: RoomParams,
        querystring: ReaderQuery,
        body: NotifyBody,
        response: {
          204: NoContent,
          404: notInSidebar,
          413: tooLarge,
          422: invalid(
            'The body is not `{"level": "all"|"mentions"|"none"}`, or (open mode) a missing or invalid `username`',
            ['body', 'level'],
            'must be equal to one of the allowed values',
            'enum',
          ),
          ...auth,
          ...changeRefused,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      await sidebar.setNotify(
        actorOf(request),
        reader(request),
        request.params.room_id,
        request.body.level,
      );
      return reply.code(204).send();
    },
  );
}
