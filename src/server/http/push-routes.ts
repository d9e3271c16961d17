import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode } from '../../protocol/error-codes.js';
import { PushKey, PushSubscriptionBody, PushUnsubscribeBody } from '../../protocol/push.js';
import { nameProblem, normalizeName } from '../../protocol/text-rules.js';
import type { Config } from '../config.js';
import { readerOf } from '../domain/reader.js';
import { validationFailed } from '../errors.js';
import { pushOwner } from '../push/push-owner.js';
import type { PushSubscriptions } from '../push/push-subscriptions.js';
import {
  apiErrors,
  authErrors,
  failure,
  invalid,
  notFound,
  ok,
  refused,
  tooLarge,
} from './responses.js';
import { actorOf } from './rooms-routes.js';

const ReaderQuery = Type.Object({
  username: Type.Optional(
    Type.String({ description: 'Open mode: whose subscription (ignored in accounts mode)' }),
  ),
});
type ReaderQuery = { username?: string };

const NoContent = ok('Done; empty body', Type.Null());

/**
 * Whose subscriptions a push request saves or removes: the account, or in open
 * mode `?username=` (required), ignoring case (push/push-owner.ts).
 */
function pushReader(
  request: FastifyRequest<{ Querystring: ReaderQuery }>,
  maxUsernameLength: number,
): string {
  const actor = actorOf(request);
  if (actor.kind === 'user') return pushOwner(readerOf(actor, '').key);
  const username = normalizeName(request.query.username ?? '');
  const problem = nameProblem(username, maxUsernameLength);
  if (problem) {
    throw validationFailed(['query', 'username'], `Invalid username: ${problem}`, 'value_error');
  }
  return pushOwner(readerOf(actor, username).key);
}

/** Web Push (README "Notifications"); registered only when push is on. */
export function registerPushRoutes(
  app: FastifyInstance,
  subscriptions: PushSubscriptions,
  publicKey: string,
  limits: Config['limits'],
  accountsMode: boolean,
): void {
  const accountErrors = accountsMode
    ? { ...authErrors, 403: refused('Sent from another origin') }
    : {};
  const badSubscription = invalid(
    'Not a usable push subscription (endpoint must be an https URL, keys a P-256 key and a 16-byte secret), or (open mode) no valid `username`',
    ['body', 'endpoint'],
    'Invalid endpoint: must be https',
    'value_error',
  );

  app.get(
    '/api/chat/push/key',
    {
      schema: {
        summary: "The server's VAPID public key, for `pushManager.subscribe`",
        tags: ['push'],
        response: {
          200: ok('The key', PushKey),
          ...(accountsMode ? authErrors : {}),
          ...apiErrors,
        },
      },
    },
    async () => ({ public_key: publicKey }),
  );

  app.post<{ Querystring: ReaderQuery; Body: PushSubscriptionBody }>(
    '/api/chat/push/subscriptions',
    {
      schema: {
        summary:
          "Save this browser's push subscription for the reader (open mode: `?username=`; accounts mode: the signed-in account)",
        description:
          'The body is `PushSubscription.toJSON()`. Saving an endpoint another reader had moves it here (the browser changed hands). A reader keeps at most 20; more drop the oldest.',
        tags: ['push'],
        querystring: ReaderQuery,
        body: PushSubscriptionBody,
        response: {
          204: NoContent,
          413: tooLarge,
          422: badSubscription,
          ...accountErrors,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      const reader = pushReader(request, limits.maxUsernameLength);
      await subscriptions.subscribe(reader, request.body);
      return reply.code(204).send();
    },
  );

  app.delete<{ Querystring: ReaderQuery; Body: PushUnsubscribeBody }>(
    '/api/chat/push/subscriptions',
    {
      schema: {
        summary: "Remove one of the reader's push subscriptions, by endpoint",
        tags: ['push'],
        querystring: ReaderQuery,
        body: PushUnsubscribeBody,
        response: {
          204: NoContent,
          404: notFound('No such push subscription'),
          413: tooLarge,
          422: failure('No endpoint, or (open mode) no valid `username`', [
            {
              code: ErrorCode.VALIDATION_FAILED,
              detail: [{ loc: ['body', 'endpoint'], msg: 'Field required', type: 'missing' }],
            },
          ]),
          ...accountErrors,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      const reader = pushReader(request, limits.maxUsernameLength);
      await subscriptions.unsubscribe(reader, request.body.endpoint);
      return reply.code(204).send();
    },
  );
}
