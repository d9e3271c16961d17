import { describe, expect, it } from 'vitest';
import { LocalPresence } from '../../src/server/presence/local-presence.js';

describe('LocalPresence', () => {
  it('counts a user once across connections, in join order', async () => {
    const p = new LocalPresence();
    expect(await p.join('r', 'alice')).toEqual({ changed: true, users: ['alice'] });
    expect(await p.join('r', 'bob')).toEqual({ changed: true, users: ['alice', 'bob'] });
    expect(await p.join('r', 'alice')).toEqual({ changed: false, users: ['alice', 'bob'] });
    expect(await p.leave('r', 'alice')).toEqual({ changed: false, users: ['alice', 'bob'] });
    expect(await p.leave('r', 'alice')).toEqual({ changed: true, users: ['bob'] });
    expect(await p.leave('r', 'bob')).toEqual({ changed: true, users: [] });
    expect(p.roomCount()).toBe(0);
  });

  it('ignores a leave without a join', async () => {
    const p = new LocalPresence();
    expect(await p.leave('r', 'ghost')).toEqual({ changed: false, users: [] });
    expect(await p.users('r')).toEqual([]);
  });
});
