import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AdminUser, Settings, UserPatchBody, UserRef } from '../../protocol/accounts.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { AccountService } from '../domain/accounts.js';
import { userOf } from './auth-routes.js';
import {
  apiErrors,
  authErrors,
  failure,
  invalid,
  notFound,
  ok,
  ref,
  refused,
  tooLarge,
} from './responses.js';

const adminOnly = refused('Admins only', [{ code: ErrorCode.FORBIDDEN, detail: 'Admins only' }]);
const tag = { tags: ['admin'] };

/** Accounts mode: the account directory and the admin pages' routes. */
export function registerAdminRoutes(app: FastifyInstance, accounts: AccountService): void {
  app.get(
    '/api/users',
    {
      schema: {
        summary: 'Active accounts (to start a DM or add a member)',
        tags: ['accounts'],
        response: { 200: ok('Accounts', Type.Array(ref(UserRef))), ...authErrors, ...apiErrors },
      },
    },
    async (request) => {
      userOf(request);
      return accounts.directory();
    },
  );

  app.get(
    '/api/admin/users',
    {
      schema: {
        summary: 'Every account, active or not (admins)',
        ...tag,
        response: {
          200: ok('Accounts, oldest first', Type.Array(ref(AdminUser))),
          403: adminOnly,
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    (request) => accounts.users(userOf(request)),
  );

  app.patch<{ Params: { id: string }; Body: UserPatchBody }>(
    '/api/admin/users/:id',
    {
      schema: {
        summary:
          'Promote, demote, deactivate or reactivate an account (admins); deactivating ends its sessions and tokens and closes its WebSockets (4003)',
        ...tag,
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        body: UserPatchBody,
        response: {
          200: ok('The account as changed', ref(AdminUser)),
          403: adminOnly,
          404: notFound('No such account'),
          409: failure('This would leave no active admin', [
            {
              code: ErrorCode.LAST_ADMIN,
              detail: 'The last active admin must stay an active admin',
            },
          ]),
          413: tooLarge,
          422: invalid(
            'Invalid role or active',
            ['body', 'role'],
            'must be equal to constant',
            'const',
          ),
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    (request) => accounts.updateUser(userOf(request), request.params.id, request.body),
  );

  app.get(
    '/api/admin/settings',
    {
      schema: {
        summary: 'Server-wide settings (admins)',
        ...tag,
        response: { 200: ok('Settings', Settings), 403: adminOnly, ...authErrors, ...apiErrors },
      },
    },
    (request) => accounts.settings(userOf(request)),
  );

  app.patch<{ Body: Partial<Settings> }>(
    '/api/admin/settings',
    {
      schema: {
        summary: 'Open or close sign-up without invite (admins)',
        ...tag,
        body: Type.Partial(Settings),
        response: {
          200: ok('Settings as changed', Settings),
          403: adminOnly,
          413: tooLarge,
          422: invalid('Invalid setting', ['body', 'signup_open'], 'must be boolean', 'type'),
          ...authErrors,
          ...apiErrors,
        },
      },
    },
    (request) => accounts.setSettings(userOf(request), request.body),
  );
}
