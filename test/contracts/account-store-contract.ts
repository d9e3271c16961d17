// One behaviour for every AccountStore (accounts, sessions, tokens, invites,
// settings, login counters, memberships, private-room listing and DMs): run by
// store.sqlite.test.ts and store.postgres.test.ts.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountStore, NewUser } from '../../src/server/storage/account-store.js';
import type { ChatStoreWithAccounts } from '../../src/server/storage/index.js';

export type MakeAccountStore = () => Promise<ChatStoreWithAccounts>;

const iso = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();

function newUser(username: string, invite: string | null = null): NewUser {
  return {
    id: randomUUID(),
    username,
    usernameKey: username.toLowerCase(),
    passwordHash: `hash-of-${username}`,
    createdAt: iso(),
    invite,
  };
}

export function accountStoreContract(name: string, make: MakeAccountStore): void {
  describe(`AccountStore contract: ${name}`, () => {
    let chat: ChatStoreWithAccounts;
    let store: AccountStore;
    beforeEach(async () => {
      chat = await make();
      store = chat.accountStore();
    });
    afterEach(() => chat.close());

    async function created(username: string, invite: string | null = null) {
      const result = await store.createUser(newUser(username, invite));
      if (!result.ok) throw new Error(`createUser ${username}: ${result.reason}`);
      return result.user;
    }

    it('makes the first account admin; later ones need an invite or open sign-up', async () => {
      expect(await store.countUsers()).toBe(0);
      const first = await created('alice');
      expect(first.role).toBe('admin');
      expect(await store.createUser(newUser('bob'))).toEqual({
        ok: false,
        reason: 'invite_invalid',
      });
      await store.createInvite({
        code: 'inv1',
        created_by: first.id,
        uses: 1,
        uses_left: 1,
        expires_at: iso(60_000),
        created_at: iso(),
      });
      // a taken name does not use up the invite
      expect(await store.createUser(newUser('ALICE', 'inv1'))).toEqual({
        ok: false,
        reason: 'username_taken',
      });
      expect((await created('bob', 'inv1')).role).toBe('member');
      expect(await store.createUser(newUser('carol', 'inv1'))).toEqual({
        ok: false,
        reason: 'invite_invalid',
      });
      await store.createInvite({
        code: 'old',
        created_by: first.id,
        uses: 5,
        uses_left: 5,
        expires_at: iso(-1_000),
        created_at: iso(-60_000),
      });
      expect((await store.createUser(newUser('carol', 'old'))).ok).toBe(false);
      expect(await store.signupOpen()).toBe(false);
      await store.setSignupOpen(true);
      expect(await store.signupOpen()).toBe(true);
      await created('carol');
      expect((await store.listUsers()).map((u) => u.username)).toEqual(['alice', 'bob', 'carol']);
      expect((await store.listInvites()).map((i) => [i.code, i.uses_left])).toEqual([
        ['old', 5],
        ['inv1', 0],
      ]);
      expect(await store.deleteInvite('old')).toBe(true);
      expect(await store.deleteInvite('old')).toBe(false);
      expect((await store.userByKey('alice'))?.id).toBe(first.id);
      expect(await store.userByKey('nobody')).toBeNull();
      expect(await store.userById('no\u0000pe')).toBeNull();
    });

    it('never leaves no active admin; deactivation deletes sessions and tokens', async () => {
      const alice = await created('alice');
      await store.setSignupOpen(true);
      const bob = await created('bob');
      expect(await store.updateUser(alice.id, { role: 'member' })).toEqual({
        ok: false,
        reason: 'last_admin',
      });
      expect(await store.updateUser(alice.id, { active: false })).toEqual({
        ok: false,
        reason: 'last_admin',
      });
      expect(await store.updateUser('nope', { active: false })).toEqual({
        ok: false,
        reason: 'not_found',
      });
      await store.createSession({
        id: 's1',
        user_id: bob.id,
        created_at: iso(),
        last_seen_at: iso(),
        user_agent: 'ua',
        tokenHash: 'h1',
      });
      await store.createToken({
        id: 't1',
        user_id: bob.id,
        name: 'bot',
        created_at: iso(),
        last_used_at: null,
        tokenHash: 'th1',
      });
      const off = await store.updateUser(bob.id, { active: false });
      expect(off.ok && off.user.active).toBe(false);
      expect(await store.sessionByHash('h1')).toBeNull();
      expect(await store.tokenByHash('th1')).toBeNull();
      const promoted = await store.updateUser(bob.id, { active: true, role: 'admin' });
      expect(promoted.ok && promoted.user.role).toBe('admin');
      expect((await store.updateUser(alice.id, { role: 'member' })).ok).toBe(true);
    });

    it('sessions and tokens by hash, listed, touched and deleted per owner', async () => {
      const alice = await created('alice');
      await store.setSignupOpen(true);
      const bob = await created('bob');
      for (const [id, user] of [
        ['a1', alice],
        ['a2', alice],
        ['b1', bob],
      ] as const) {
        await store.createSession({
          id,
          user_id: user.id,
          created_at: iso(-10_000),
          last_seen_at: iso(-10_000),
          user_agent: `ua-${id}`,
          tokenHash: `hash-${id}`,
        });
      }
      const found = await store.sessionByHash('hash-a1');
      expect(found?.session).toMatchObject({ id: 'a1', user_id: alice.id, user_agent: 'ua-a1' });
      expect(found?.user).toMatchObject({ id: alice.id, username: 'alice', active: true });
      const at = iso();
      await store.touchSession('a1', at);
      expect((await store.sessionByHash('hash-a1'))?.session.last_seen_at).toBe(at);
      expect((await store.listSessions(alice.id)).map((s) => s.id).sort()).toEqual(['a1', 'a2']);
      expect(await store.deleteSession(alice.id, 'b1')).toBe(false);
      expect(await store.deleteSessions(alice.id, 'a1')).toEqual(['a2']);
      expect(await store.deleteIdleSessions(iso(-5_000))).toBe(1); // b1
      expect((await store.listSessions(alice.id)).map((s) => s.id)).toEqual(['a1']);

      await store.createToken({
        id: 't1',
        user_id: alice.id,
        name: 'ci',
        created_at: iso(),
        last_used_at: null,
        tokenHash: 'th',
      });
      expect((await store.tokenByHash('th'))?.token).toMatchObject({
        id: 't1',
        name: 'ci',
        last_used_at: null,
      });
      await store.touchToken('t1', at);
      expect((await store.listTokens(alice.id))[0]?.last_used_at).toBe(at);
      expect(await store.deleteToken(bob.id, 't1')).toBe(false);
      expect(await store.deleteToken(alice.id, 't1')).toBe(true);
      expect(await store.tokenByHash('th')).toBeNull();
    });

    it('counts login failures atomically, forgets old ones, clears on success', async () => {
      const keys = ['user:alice', 'ip:1.2.3.4'];
      await store.recordLoginFailure(keys, iso(), iso(-60_000));
      await store.recordLoginFailure(keys, iso(), iso(-60_000));
      let counters = await store.loginCounters(keys);
      expect(counters.get('user:alice')?.failures).toBe(2);
      expect(counters.get('ip:1.2.3.4')?.failures).toBe(2);
      // the last failure is older than "forget before": a fresh count
      await store.recordLoginFailure(['user:alice'], iso(), iso(60_000));
      counters = await store.loginCounters(keys);
      expect(counters.get('user:alice')?.failures).toBe(1);
      await store.clearLoginCounter('user:alice');
      counters = await store.loginCounters(keys);
      expect(counters.has('user:alice')).toBe(false);
      expect(counters.get('ip:1.2.3.4')?.failures).toBe(2);
    });

    it('private rooms: listed for members only; members added, removed; one DM per pair', async () => {
      const alice = await created('alice');
      await store.setSignupOpen(true);
      const bob = await created('bob');
      const carol = await created('carol');
      const pub = await chat.createRoom('pub', { ownerId: alice.id });
      const priv = await chat.createRoom('priv', {
        ownerId: alice.id,
        visibility: 'private',
        members: [alice.id],
      });
      expect(priv).toMatchObject({ visibility: 'private', owner_id: alice.id, kind: 'room' });
      expect(await chat.getRoom(priv.id)).toEqual(priv);
      const ids = async (viewer?: string) => (await chat.listRooms(viewer)).map((r) => r.id);
      expect(await ids(alice.id)).toEqual([pub.id, priv.id]);
      expect(await ids(bob.id)).toEqual([pub.id]);
      expect(await ids()).toEqual([pub.id, priv.id]);
      expect((await chat.listRoomsPage(10, undefined, bob.id)).rooms.map((r) => r.id)).toEqual([
        pub.id,
      ]);
      expect(await store.addMember(priv.id, bob.id)).toBe(true);
      expect(await store.addMember(priv.id, bob.id)).toBe(false);
      expect(await store.addMember(priv.id, 'ghost')).toBe(false);
      expect(await store.isMember(priv.id, bob.id)).toBe(true);
      expect(await ids(bob.id)).toEqual([pub.id, priv.id]);
      expect((await store.listMembers(priv.id)).map((m) => m.username)).toEqual(['alice', 'bob']);
      expect(await store.removeMember(priv.id, bob.id)).toBe(true);
      expect(await store.removeMember(priv.id, bob.id)).toBe(false);
      expect(await store.isMember(priv.id, bob.id)).toBe(false);

      const renamed = await chat.renameRoom(pub.id, 'public');
      expect(renamed?.name).toBe('public');
      expect(await chat.renameRoom('nope', 'x')).toBeNull();

      const pair = [alice.id, carol.id].sort() as [string, string];
      const dm = await chat.openDm('alice, carol', alice.id, pair, pair.join(':'));
      expect(dm.created).toBe(true);
      expect(dm.room).toMatchObject({ kind: 'dm', visibility: 'private' });
      const again = await Promise.all([
        chat.openDm('alice, carol', carol.id, pair, pair.join(':')),
        chat.openDm('alice, carol', carol.id, pair, pair.join(':')),
      ]);
      expect(again.map((d) => [d.room.id, d.created])).toEqual([
        [dm.room.id, false],
        [dm.room.id, false],
      ]);
      expect((await store.dmPeers([dm.room.id], alice.id)).get(dm.room.id)).toBe('carol');
      expect((await store.dmPeers([dm.room.id], carol.id)).get(dm.room.id)).toBe('alice');
      expect(await ids(bob.id)).not.toContain(dm.room.id);
      // a deleted DM frees the pair for a new one
      expect(await chat.deleteRoom(dm.room.id)).toBe(true);
      const fresh = await chat.openDm('alice, carol', alice.id, pair, pair.join(':'));
      expect(fresh.created).toBe(true);
      expect(fresh.room.id).not.toBe(dm.room.id);
      // purging a deleted room takes its memberships with it
      while ((await chat.purgeSlice(100)) > 0) {}
      expect(await store.isMember(dm.room.id, alice.id)).toBe(false);
    });
  });
}
