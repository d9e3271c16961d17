import type { Role } from '../../protocol/accounts.js';

/** Who is asking. In open mode nobody is anybody: every request is the open actor. */
export type Actor =
  | { kind: 'open' }
  | {
      kind: 'user';
      userId: string;
      username: string;
      role: Role;
      /** The session's or API token's id: what a revocation names. */
      credentialId: string;
      credential: 'session' | 'token';
    };

export type UserActor = Extract<Actor, { kind: 'user' }>;

export const OPEN_ACTOR: Actor = { kind: 'open' };

export const isAdmin = (actor: Actor): boolean => actor.kind === 'user' && actor.role === 'admin';
