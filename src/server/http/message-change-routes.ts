// Issue 11 over REST: edit, delete, react to a message. The rules are the
// WebSocket frames' (ChangeService, message-permissions.ts); this file maps HTTP.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  EditMessageBody,
  MAX_EMOJI_LENGTH,
  MAX_REACTIONS_PER_MESSAGE,
} from '../../protocol/changes.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { Message } from '../../protocol/rest.js';
import {
  contentProblem,
  emojiValid,
  nameProblem,
  normalizeContent,
  normalizeName,
} from '../../protocol/text-rules.js';
import type { Config } from '../config.js';
import type { Actor } from '../domain/actor.js';
import type { ChangeRequest, ChangeService } from '../domain/change-service.js';
import { ChatError, messageNotFound, validationFailed } from '../errors.js';
import { apiErrors, authErrors, failure, invalid, ok, ref, refused } from './responses.js';
import { actorOf } from './rooms-routes.js';

const MessageParams = Type.Object({ room_id: Type.String(), message_id: Type.String() });
type MessageParams = Static<typeof MessageParams>;
const ReactionParams = Type.Object({
  room_id: Type.String(),
  message_id: Type.String(),
  emoji: Type.String({ description: 'The reaction, URL-encoded (e.g. `%F0%9F%91%8D` for 👍)' }),
});
type ReactionParams = Static<typeof ReactionParams>;
const WhoQuery = Type.Object({
  username: Type.Optional(
    Type.String({ description: 'Open mode: who does it (required there); ignored with accounts' }),
  ),
});
type WhoQuery = Static<typeof WhoQuery>;

const messageMissing = failure('No such room, or no such (live) message in it', [
  {
    code: ErrorCode.MESSAGE_NOT_FOUND,
    detail: 'The message does not exist in this room (or was deleted)',
  },
  { code: ErrorCode.ROOM_NOT_FOUND, detail: 'Room 0b9f7c1e-5d2a-4c1e-9a53-2f6d8e4b7a10 not found' },
]);
const notAllowed = (detail: string) =>
  refused('Not allowed to do this to this message', [{ code: ErrorCode.FORBIDDEN, detail }]);
const invalidEmoji = failure('The reaction is not one emoji or short word', [
  {
    code: ErrorCode.INVALID_EMOJI,
    detail: `A reaction is 1 to ${MAX_EMOJI_LENGTH} characters without spaces or invisible characters`,
  },
]);

/** Who acts: the account, or (open mode) the `username` given, checked like a sender's. */
function changer(actor: Actor, raw: string | undefined, limits: Config['limits'], loc: string[]) {
  if (actor.kind === 'user') return actor.username;
  const username = normalizeName(raw ?? '');
  const problem = nameProblem(username, limits.maxUsernameLength);
  if (problem) throw validationFailed(loc, `Invalid username: ${problem}`, 'value_error');
  return username;
}

function emojiOf(raw: string): string {
  const emoji = normalizeName(raw);
  if (!emojiValid(emoji, MAX_EMOJI_LENGTH)) {
    throw new ChatError(
      ErrorCode.INVALID_EMOJI,
      `A reaction is 1 to ${MAX_EMOJI_LENGTH} characters without spaces or invisible characters`,
      422,
    );
  }
  return emoji;
}

export function registerMessageChangeRoutes(
  app: FastifyInstance,
  changes: ChangeService,
  limits: Config['limits'],
  accountsMode: boolean,
): void {
  const auth = accountsMode ? authErrors : {};

  app.patch<{ Params: MessageParams; Body: EditMessageBody }>(
    '/api/chat/rooms/:room_id/messages/:message_id',
    {
      schema: {
        summary: 'Edit your message (open mode: `username` in the body must be the author)',
        description:
          "The new content follows the rules of a message's; the edit is an entry of the room's log, " +
          'delivered as a `change` frame to WebSockets with `features=changes`. With `client_id`, a retry ' +
          'by the same sender is applied once.',
        tags: ['messages'],
        params: MessageParams,
        body: EditMessageBody,
        response: {
          200: ok('The message as it is now', ref(Message)),
          403: notAllowed('Only the author may edit a message'),
          404: messageMissing,
          422: invalid(
            'Invalid content, client_id or username',
            ['body', 'content'],
            'Invalid content: empty',
            'value_error',
          ),
          ...auth,
          ...apiErrors,
        },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const body = request.body;
      const username = changer(actor, body.username, limits, ['body', 'username']);
      const content = normalizeContent(body.content);
      const problem = contentProblem(content, limits.maxContentLength);
      if (problem) {
        throw validationFailed(['body', 'content'], `Invalid content: ${problem}`, 'value_error');
      }
      if (body.client_id !== undefined && nameProblem(body.client_id, limits.maxClientIdLength)) {
        throw validationFailed(['body', 'client_id'], 'Invalid client_id', 'value_error');
      }
      const { room_id, message_id } = request.params;
      const result = await changes.apply(
        actor,
        username,
        room_id,
        message_id,
        { kind: 'edit', content },
        body.client_id,
      );
      // A retried edit of a message deleted since: it is gone.
      if (!result.message) throw messageNotFound();
      return result.message;
    },
  );

  app.delete<{ Params: MessageParams; Querystring: WhoQuery }>(
    '/api/chat/rooms/:room_id/messages/:message_id',
    {
      schema: {
        summary:
          "Delete a message: yours, or (accounts mode) any in a room you own or as an admin (open mode: `?username=` must be the author's)",
        description:
          'Its content, files and search entry are gone from the database at once; history and ' +
          'replays omit it, and WebSockets with `features=changes` get a `delete` change. A second delete is `404`.',
        tags: ['messages'],
        params: MessageParams,
        querystring: WhoQuery,
        response: {
          204: ok('Deleted; empty body', Type.Null()),
          403: notAllowed("Only the author (or the room's owner or an admin) may delete a message"),
          404: messageMissing,
          422: invalid(
            'Invalid username',
            ['query', 'username'],
            'Invalid username: empty',
            'value_error',
          ),
          ...auth,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const username = changer(actor, request.query.username, limits, ['query', 'username']);
      const { room_id, message_id } = request.params;
      await changes.apply(actor, username, room_id, message_id, { kind: 'delete' });
      return reply.code(204).send();
    },
  );

  const react = (on: boolean) => ({
    schema: {
      summary: on
        ? 'Add your reaction to a message (open mode: `?username=`)'
        : 'Take back your reaction (open mode: `?username=`)',
      description: on
        ? `Set semantics: reacting twice with the same emoji changes nothing. At most ${MAX_REACTIONS_PER_MESSAGE} different emoji per message.`
        : 'Taking back a reaction you did not give changes nothing.',
      tags: ['messages'],
      params: ReactionParams,
      querystring: WhoQuery,
      response: {
        200: ok('The message as it is now', ref(Message)),
        404: messageMissing,
        ...(on
          ? {
              409: failure('The message has as many different reactions as it may', [
                {
                  code: ErrorCode.TOO_MANY_REACTIONS,
                  detail: 'This message has as many different reactions as it may have',
                },
              ]),
            }
          : {}),
        422: invalidEmoji,
        ...(accountsMode ? { ...authErrors, 403: refused('Sent from another origin') } : {}),
        ...apiErrors,
      },
    },
  });
  const reactHandler =
    (on: boolean) =>
    async (request: { actor: Actor | null; params: ReactionParams; query: WhoQuery }) => {
      const actor = actorOf(request);
      const username = changer(actor, request.query.username, limits, ['query', 'username']);
      const change: ChangeRequest = { kind: 'react', emoji: emojiOf(request.params.emoji), on };
      const { room_id, message_id } = request.params;
      const result = await changes.apply(actor, username, room_id, message_id, change);
      if (!result.message) throw messageNotFound();
      return result.message;
    };
  app.put<{ Params: ReactionParams; Querystring: WhoQuery }>(
    '/api/chat/rooms/:room_id/messages/:message_id/reactions/:emoji',
    react(true),
    reactHandler(true),
  );
  app.delete<{ Params: ReactionParams; Querystring: WhoQuery }>(
    '/api/chat/rooms/:room_id/messages/:message_id/reactions/:emoji',
    react(false),
    reactHandler(false),
  );
}
