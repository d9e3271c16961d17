import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PostMessageBody } from '../../protocol/accounts.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { EPOCH_HEADER } from '../../protocol/frames.js';
import { DEFAULT_LIMITS } from '../../protocol/limits.js';
import { CreateRoomBody, HistoryQuery, Message, Room, RoomParams } from '../../protocol/rest.js';
import type { Config } from '../config.js';
import { type Actor, OPEN_ACTOR } from '../domain/actor.js';
import type { MessageService } from '../domain/message-service.js';
import type { RoomAccess } from '../domain/room-access.js';
import type { RoomService } from '../domain/room-service.js';
import type { RateLimits } from './rate-limit.js';
import { openUsername, ReaderQuery } from './reader-query.js';
import {
  apiErrors,
  authErrors,
  invalid,
  ok,
  ref,
  refused,
  roomNotFound,
  tooLarge,
} from './responses.js';

/** The identity hook set it; open mode (and tests without the hook) acts as nobody in particular. */
export const actorOf = (request: { actor: Actor | null }): Actor => request.actor ?? OPEN_ACTOR;

/** Accounts-mode statuses every room route may add: 401, and 403 for another origin or a non-owner. */
const accountsErrors = (accounts: boolean, forbidden?: string) =>
  accounts
    ? {
        ...authErrors,
        403: refused(
          forbidden ?? 'Sent from another origin',
          forbidden ? [{ code: ErrorCode.FORBIDDEN, detail: forbidden }] : [],
        ),
      }
    : {};

export const MAX_ROOM_PAGE = 1000;
const DEFAULT_ROOM_PAGE = 100;

const RoomListQuery = Type.Object({
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_ROOM_PAGE,
      description: `Page size (default ${DEFAULT_ROOM_PAGE} when \`after\` is given). Without \`limit\` and \`after\`: every room, unpaged`,
    }),
  ),
  after: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Opaque cursor from the previous page\'s `Link: <…>; rel="next"` header',
    }),
  ),
});
type RoomListQuery = Static<typeof RoomListQuery>;

/** The original REST API: `/api/chat/rooms` and a room's message history. */
export function registerRoomRoutes(
  app: FastifyInstance,
  rooms: RoomService,
  limits: RateLimits = {},
  accountsMode = false,
  maxUsernameLength: number = DEFAULT_LIMITS.maxUsernameLength,
): void {
  app.post<{ Body: CreateRoomBody; Querystring: ReaderQuery }>(
    '/api/chat/rooms',
    {
      schema: {
        summary: 'Create a room',
        description:
          'Room creations per client address are limited (`CHAT_ROOM_CREATE_RATE` per minute): beyond it `429` with `Retry-After`. ' +
          "The room joins its creator's sidebar (`/api/chat/me/rooms`): the account's, or in open mode that of `?username=` when given.",
        tags: ['rooms'],
        body: CreateRoomBody,
        querystring: ReaderQuery,
        response: {
          201: ok('The new room', ref(Room)),
          413: tooLarge,
          422: invalid(
            'The body is not a JSON object with a valid `name`, or an invalid `username`',
            ['body', 'name'],
            'Room name must not be empty',
            'string_too_short',
          ),
          ...accountsErrors(accountsMode),
          ...apiErrors,
        },
      },
      ...(limits.roomCreate ? { preHandler: limits.roomCreate } : {}),
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const raw = request.query.username;
      const creator =
        actor.kind === 'open' && raw !== undefined
          ? openUsername(raw, maxUsernameLength, ['query', 'username'])
          : undefined;
      const room = await rooms.create(actor, request.body.name, request.body.visibility, creator);
      return reply.code(201).send(room);
    },
  );

  app.get<{ Querystring: RoomListQuery }>(
    '/api/chat/rooms',
    {
      schema: {
        summary: 'List rooms, oldest first',
        description:
          'Without `limit` or `after`: every room in one array, as in the original API. ' +
          'With them: one page (still an array); when more rooms follow, the answer carries ' +
          '`Link: </api/chat/rooms?limit=N&after=CURSOR>; rel="next"`, the URL of the next page.',
        tags: ['rooms'],
        querystring: RoomListQuery,
        response: {
          200: ok(
            'Every room, or one page of them (see `Link`), oldest first',
            Type.Array(ref(Room)),
          ),
          422: invalid(
            'Invalid `limit` or `after`',
            ['query', 'after'],
            'Invalid cursor',
            'cursor',
          ),
          ...(accountsMode ? authErrors : {}),
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      const { limit, after } = request.query;
      const actor = actorOf(request);
      if (limit === undefined && after === undefined) return rooms.list(actor);
      const size = limit ?? DEFAULT_ROOM_PAGE;
      const page = await rooms.page(actor, size, after);
      if (page.next !== null) {
        reply.header('Link', `</api/chat/rooms?limit=${size}&after=${page.next}>; rel="next"`);
      }
      return page.rooms;
    },
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
        response: {
          200: ok('The messages, oldest first (ascending `seq`)', Type.Array(ref(Message))),
          404: roomNotFound,
          422: invalid(
            'Invalid `limit`, `before`, `after` or `around`, or more than one of the last three',
            ['query', 'limit'],
            'must be >= 1',
            'minimum',
          ),
          ...(accountsMode ? authErrors : {}),
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      // Read before the page: a page is never labelled with a newer epoch than its
      // data (at worst an older one, which costs the client one extra reload).
      const epoch = await rooms.epoch();
      const { limit, before, after, around } = request.query;
      const page = await rooms.history(actorOf(request), request.params.room_id, limit, {
        before,
        after,
        around,
      });
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
        response: {
          204: ok('Deleted, with its messages; empty body', Type.Null()),
          404: roomNotFound,
          ...accountsErrors(accountsMode, "Only the room's owner or an admin may delete it"),
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      await rooms.delete(actorOf(request), request.params.room_id);
      return reply.code(204).send();
    },
  );
}

/**
 * `POST /api/chat/rooms/{room_id}/messages`, in both modes: a message sent over
 * REST (bots, scripts), stored and delivered exactly like a WebSocket message.
 */
export function registerMessagePostRoute(
  app: FastifyInstance,
  messages: MessageService,
  access: RoomAccess,
  limits: Config['limits'],
  accountsMode: boolean,
): void {
  app.post<{ Params: RoomParams; Body: PostMessageBody }>(
    '/api/chat/rooms/:room_id/messages',
    {
      schema: {
        summary:
          'Send a message (open mode: `username` in the body; accounts mode: as the signed-in account)',
        description:
          "Stored and delivered to the room's WebSockets like a message sent over one. With `client_id`, " +
          'a retry by the same sender returns the stored message with `200` instead of storing it twice.',
        tags: ['messages'],
        params: RoomParams,
        body: PostMessageBody,
        response: {
          201: ok('Stored and delivered', ref(Message)),
          200: ok(
            'This sender sent this `client_id` here before: the stored message',
            ref(Message),
          ),
          404: roomNotFound,
          413: tooLarge,
          422: invalid(
            'Invalid content, client_id or username',
            ['body', 'content'],
            'Invalid content: empty',
            'value_error',
          ),
          ...accountsErrors(accountsMode),
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      const { message, duplicate } = await messages.post(
        actorOf(request),
        access,
        request.params.room_id,
        request.body,
        limits,
      );
      return reply.code(duplicate ? 200 : 201).send(message);
    },
  );
}
