// The /api/auth routes (accounts mode). Long because each route carries its full
// OpenAPI schema (bodies, every status with its codes and examples) beside it.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  AuthMode,
  Invite,
  InviteCreateBody,
  LoginBody,
  PasswordBody,
  SessionInfo,
  SignupBody,
  TokenCreateBody,
  TokenCreated,
  TokenInfo,
  UserEnvelope,
} from '../../protocol/accounts.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Config } from '../config.js';
import type { AccountService, ClientInfo } from '../domain/accounts.js';
import type { UserActor } from '../domain/actor.js';
import { unauthenticated } from '../errors.js';
import { clearSessionCookie, ownOrigin, setSessionCookie } from './identity.js';
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

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const CodeParams = Type.Object({ code: Type.String({ maxLength: 100 }) });
const NoContent = ok('Done; empty body', Type.Null());

const client = (request: FastifyRequest): ClientInfo => ({
  address: request.ip,
  userAgent: String(request.headers['user-agent'] ?? ''),
});

/** The signed-in account (the identity hook let the request through, so there is one). */
export function userOf(request: FastifyRequest): UserActor {
  const actor = request.actor;
  if (actor?.kind !== 'user') throw unauthenticated();
  return actor;
}

const badCredentials = failure('Wrong username or password', [
  { code: ErrorCode.INVALID_CREDENTIALS, detail: 'Wrong username or password' },
]);
const adminOnly = refused('Admins only', [{ code: ErrorCode.FORBIDDEN, detail: 'Admins only' }]);
const tag = { tags: ['accounts'] };

/** `GET /api/auth/mode`, in both modes: which screens the web client shows. */
/** Open mode has no AccountService: every room is everyone's, and nobody signs in. */
const OPEN_MODE: AuthMode = { mode: 'open', first_run: false, signup_open: false };

export function registerAuthModeRoute(app: FastifyInstance, accounts: AccountService | null): void {
  app.get(
    '/api/auth/mode',
    {
      schema: {
        summary: 'Which mode the server runs in: `open` or `accounts` (public)',
        ...tag,
        response: { 200: ok('The mode', AuthMode), ...apiErrors },
      },
    },
    async () => (accounts ? accounts.mode() : OPEN_MODE),
  );
}

/** Accounts mode: sign-up, sign-in, the session, password, sessions, API tokens and invites. */
export function registerAuthRoutes(
  app: FastifyInstance,
  accounts: AccountService,
  _config: Config,
): void {
  app.post<{ Body: SignupBody }>(
    '/api/auth/signup',
    {
      schema: {
        summary:
          'Create an account and sign in (the first account becomes admin; later ones need an invite unless sign-up is open)',
        ...tag,
        body: SignupBody,
        response: {
          201: ok('The new account; a session cookie is set', UserEnvelope),
          403: refused('No usable invite', [
            { code: ErrorCode.INVITE_INVALID, detail: 'Sign-up needs a valid invite' },
          ]),
          409: failure('Username taken', [
            { code: ErrorCode.USERNAME_TAKEN, detail: 'This username is taken' },
          ]),
          413: tooLarge,
          422: invalid(
            'Invalid username or password',
            ['body', 'password'],
            'Password must have at least 8 characters',
            'string_too_short',
          ),
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      const { user, sessionToken } = await accounts.signup(request.body, client(request));
      setSessionCookie(request, reply, sessionToken);
      return reply.code(201).send({ user });
    },
  );

  app.post<{ Body: LoginBody }>(
    '/api/auth/login',
    {
      schema: {
        summary: 'Sign in; repeated failures must wait (429 with Retry-After)',
        ...tag,
        body: LoginBody,
        response: {
          200: ok('Signed in; a session cookie is set', UserEnvelope),
          401: badCredentials,
          403: refused('Sent from another origin'),
          413: tooLarge,
          422: invalid(
            'Missing username or password',
            ['body', 'password'],
            'required',
            'required',
          ),
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      const { user, sessionToken } = await accounts.login(request.body, client(request));
      setSessionCookie(request, reply, sessionToken);
      return { user };
    },
  );

  app.post(
    '/api/auth/logout',
    {
      schema: {
        summary: 'End this session (revoked on the server) and clear the cookie',
        ...tag,
        response: { 204: NoContent, 403: refused('Sent from another origin'), ...apiErrors },
      },
    },
    async (request, reply) => {
      if (request.actor) await accounts.logout(request.actor);
      clearSessionCookie(request, reply);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/auth/me',
    {
      schema: {
        summary: 'The signed-in account',
        ...tag,
        response: { 200: ok('The account', UserEnvelope), ...authErrors, ...apiErrors },
      },
    },
    async (request) => ({ user: await accounts.me(userOf(request)) }),
  );

  app.post<{ Body: PasswordBody }>(
    '/api/auth/password',
    {
      schema: {
        summary: "Change the password; the account's other sessions end",
        ...tag,
        body: PasswordBody,
        response: {
          204: NoContent,
          401: failure('No session, or the current password is wrong', [
            { code: ErrorCode.UNAUTHENTICATED, detail: 'Sign in first' },
            { code: ErrorCode.INVALID_CREDENTIALS, detail: 'Wrong username or password' },
          ]),
          403: refused('Sent from another origin'),
          413: tooLarge,
          422: invalid(
            'New password too short',
            ['body', 'new_password'],
            'Password must have at least 8 characters',
            'string_too_short',
          ),
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      const { current_password, new_password } = request.body;
      await accounts.changePassword(userOf(request), current_password, new_password);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/auth/sessions',
    {
      schema: {
        summary: "The account's sessions",
        ...tag,
        response: {
          200: ok('Sessions, oldest first', Type.Array(SessionInfo)),
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    (request) => accounts.sessions(userOf(request)),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/auth/sessions/:id',
    {
      schema: {
        summary: 'End one of your sessions (its WebSockets close with 4003)',
        ...tag,
        params: IdParams,
        response: {
          204: NoContent,
          403: refused('Sent from another origin'),
          404: notFound('No such session'),
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      await accounts.revokeSession(userOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Body: TokenCreateBody }>(
    '/api/auth/tokens',
    {
      schema: {
        summary: 'Create an API token (shown once) for `Authorization: Bearer <token>`',
        ...tag,
        body: TokenCreateBody,
        response: {
          201: ok('The token, shown this once', TokenCreated),
          403: refused('Sent from another origin'),
          413: tooLarge,
          422: invalid('Invalid name', ['body', 'name'], 'Invalid token name', 'value_error'),
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      const created = await accounts.createToken(userOf(request), request.body.name);
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/api/auth/tokens',
    {
      schema: {
        summary: "The account's API tokens (never the secrets)",
        ...tag,
        response: { 200: ok('Tokens', Type.Array(TokenInfo)), ...authErrors, ...apiErrors },
      },
    },
    (request) => accounts.tokens(userOf(request)),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/auth/tokens/:id',
    {
      schema: {
        summary: 'Revoke an API token (its WebSockets close with 4003)',
        ...tag,
        params: IdParams,
        response: {
          204: NoContent,
          403: refused('Sent from another origin'),
          404: notFound('No such token'),
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      await accounts.revokeToken(userOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Body: InviteCreateBody }>(
    '/api/auth/invites',
    {
      schema: {
        summary: 'Create an invite link (admins)',
        ...tag,
        body: InviteCreateBody,
        response: {
          201: ok('The invite', Invite),
          403: adminOnly,
          413: tooLarge,
          422: invalid('Invalid uses or expiry', ['body', 'uses'], 'must be >= 1', 'minimum'),
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      const invite = await accounts.createInvite(userOf(request), request.body, ownOrigin(request));
      return reply.code(201).send(invite);
    },
  );

  app.get(
    '/api/auth/invites',
    {
      schema: {
        summary: 'Every invite with its uses left and expiry (admins)',
        ...tag,
        response: {
          200: ok('Invites', Type.Array(Invite)),
          403: adminOnly,
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    (request) => accounts.invites(userOf(request), ownOrigin(request)),
  );

  app.delete<{ Params: { code: string } }>(
    '/api/auth/invites/:code',
    {
      schema: {
        summary: 'Withdraw an invite (admins)',
        ...tag,
        params: CodeParams,
        response: {
          204: NoContent,
          403: adminOnly,
          404: notFound('No such invite'),
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    async (request, reply) => {
      await accounts.deleteInvite(userOf(request), request.params.code);
      return reply.code(204).send();
    },
  );
}
