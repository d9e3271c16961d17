// Wire types of accounts mode (`CHAT_AUTH=accounts`): sign-up and sign-in,
// sessions, API tokens, invites, administration and room membership.
import { type Static, Type } from '@sinclair/typebox';

/** Shortest password accepted at sign-up and password change. */
export const MIN_PASSWORD_LENGTH = 8;
/** Longest password accepted (scrypt takes any length; this bounds the work per request). */
export const MAX_PASSWORD_LENGTH = 1024;

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('member')]);
export type Role = Static<typeof Role>;

export const User = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    username: Type.String(),
    role: Role,
    created_at: Type.String({ description: 'ISO 8601' }),
  },
  {
    $id: 'User',
    examples: [
      {
        id: '5f0c3e8a-3b1d-4a52-9d1e-7c2b6a4f9e01',
        username: 'alice',
        role: 'admin',
        created_at: '2026-01-05T09:00:00.000Z',
      },
    ],
  },
);
export type User = Static<typeof User>;

export const AdminUser = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    username: Type.String(),
    role: Role,
    created_at: Type.String({ description: 'ISO 8601' }),
    active: Type.Boolean({ description: 'False once deactivated: no sign-in, no sessions' }),
  },
  { $id: 'AdminUser' },
);
export type AdminUser = Static<typeof AdminUser>;

/** An account as others see it (member lists, the user directory). */
export const UserRef = Type.Object(
  { id: Type.String({ format: 'uuid' }), username: Type.String() },
  { $id: 'UserRef' },
);
export type UserRef = Static<typeof UserRef>;

export const UserEnvelope = Type.Object({ user: Type.Unsafe<User>(Type.Ref('User')) });
export type UserEnvelope = { user: User };

const Password = Type.String({
  maxLength: MAX_PASSWORD_LENGTH,
  description: `At least ${MIN_PASSWORD_LENGTH} characters`,
});

export const SignupBody = Type.Object({
  username: Type.String({
    maxLength: 1000,
    description: 'Same rules as chat usernames (trimmed, NFC, no control or invisible characters)',
  }),
  password: Password,
  invite: Type.Optional(
    Type.String({ maxLength: 200, description: 'Needed unless first run or sign-up is open' }),
  ),
});
export type SignupBody = Static<typeof SignupBody>;

export const LoginBody = Type.Object({
  username: Type.String({ maxLength: 1000 }),
  password: Type.String({ maxLength: MAX_PASSWORD_LENGTH }),
});
export type LoginBody = Static<typeof LoginBody>;

export const PasswordBody = Type.Object({
  current_password: Type.String({ maxLength: MAX_PASSWORD_LENGTH }),
  new_password: Password,
});
export type PasswordBody = Static<typeof PasswordBody>;

export const AuthMode = Type.Object({
  mode: Type.Union([Type.Literal('open'), Type.Literal('accounts')]),
  first_run: Type.Boolean({ description: 'Accounts mode and no account exists yet' }),
  signup_open: Type.Boolean({ description: 'Anyone may sign up without an invite' }),
});
export type AuthMode = Static<typeof AuthMode>;

export const SessionInfo = Type.Object({
  id: Type.String(),
  created_at: Type.String(),
  last_seen_at: Type.String(),
  user_agent: Type.String(),
  current: Type.Boolean({ description: 'The session this request came with' }),
});
export type SessionInfo = Static<typeof SessionInfo>;

export const TokenCreateBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
});
export type TokenCreateBody = Static<typeof TokenCreateBody>;

export const TokenInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: Type.String(),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
});
export type TokenInfo = Static<typeof TokenInfo>;

export const TokenCreated = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: Type.String(),
  token: Type.String({ description: 'Shown once; send as `Authorization: Bearer <token>`' }),
});
export type TokenCreated = Static<typeof TokenCreated>;

export const InviteCreateBody = Type.Object({
  uses: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1 })),
  expires_in_s: Type.Optional(
    Type.Integer({ minimum: 60, maximum: 365 * 86_400, description: 'Default 7 days' }),
  ),
});
export type InviteCreateBody = Static<typeof InviteCreateBody>;

export const Invite = Type.Object({
  code: Type.String(),
  url: Type.String({ description: '`<origin>/?invite=<code>`' }),
  uses: Type.Integer(),
  uses_left: Type.Integer(),
  expires_at: Type.String(),
});
export type Invite = Static<typeof Invite>;

export const UserPatchBody = Type.Object({
  role: Type.Optional(Role),
  active: Type.Optional(Type.Boolean()),
});
export type UserPatchBody = Static<typeof UserPatchBody>;

export const Settings = Type.Object({ signup_open: Type.Boolean() });
export type Settings = Static<typeof Settings>;

export const RenameRoomBody = Type.Object({ name: Type.String() });
export type RenameRoomBody = Static<typeof RenameRoomBody>;

export const DmBody = Type.Object({ user_id: Type.String({ maxLength: 100 }) });
export type DmBody = Static<typeof DmBody>;

export const PostMessageBody = Type.Object({
  content: Type.String(),
  client_id: Type.Optional(Type.String()),
  reply_to: Type.Optional(
    Type.String({ description: 'A message id of the same room this message answers' }),
  ),
  username: Type.Optional(
    Type.String({
      description: 'Open mode: the sender name (required there); ignored with accounts',
    }),
  ),
});
export type PostMessageBody = Static<typeof PostMessageBody>;
