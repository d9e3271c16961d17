import { describe, expect, it } from 'vitest';
import type { Room } from '../../../src/protocol/rest.js';
import { type Actor, OPEN_ACTOR } from '../../../src/server/domain/actor.js';
import { mayChangeMessage } from '../../../src/server/domain/message-permissions.js';

const room = (ownerId: string | null): Room => ({
  id: 'r',
  name: 'r',
  created_at: new Date(0).toISOString(),
  visibility: 'public',
  owner_id: ownerId,
  kind: 'room',
});
const user = (userId: string, username: string, role: 'admin' | 'member' = 'member'): Actor => ({
  kind: 'user',
  userId,
  username,
  role,
  credentialId: 'c',
  credential: 'session',
});

describe('who may change a message', () => {
  it('open mode: the author (by name) edits and deletes; anyone reacts', () => {
    expect(mayChangeMessage(OPEN_ACTOR, 'ann', room(null), 'ann', 'edit')).toBe(true);
    expect(mayChangeMessage(OPEN_ACTOR, 'ann', room(null), 'ann', 'delete')).toBe(true);
    expect(mayChangeMessage(OPEN_ACTOR, 'bob', room(null), 'ann', 'edit')).toBe(false);
    expect(mayChangeMessage(OPEN_ACTOR, 'bob', room(null), 'ann', 'delete')).toBe(false);
    expect(mayChangeMessage(OPEN_ACTOR, 'bob', room(null), 'ann', 'react')).toBe(true);
  });

  it('accounts: owner and admins delete anything, never edit; members only their own', () => {
    const owner = user('o', 'olga');
    const admin = user('a', 'root', 'admin');
    const member = user('m', 'max');
    const r = room('o');
    for (const who of [owner, admin]) {
      const name = who.kind === 'user' ? who.username : '';
      expect(mayChangeMessage(who, name, r, 'ann', 'delete')).toBe(true);
      expect(mayChangeMessage(who, name, r, 'ann', 'edit')).toBe(false);
    }
    expect(mayChangeMessage(member, 'max', r, 'ann', 'delete')).toBe(false);
    expect(mayChangeMessage(member, 'max', r, 'ann', 'edit')).toBe(false);
    expect(mayChangeMessage(member, 'max', r, 'max', 'edit')).toBe(true);
    expect(mayChangeMessage(member, 'max', r, 'ann', 'react')).toBe(true);
    // an open-mode room (no owner) has no owner to moderate it
    expect(mayChangeMessage(member, 'max', room(null), 'ann', 'delete')).toBe(false);
  });
});
