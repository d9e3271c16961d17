// What the service worker shows for a push, and where a click may go
// (src/client/sw/push-notifications.ts); the browser test covers the worker itself.
import { describe, expect, it } from 'vitest';
import { notificationOptions, openTarget } from '../../../src/client/sw/push-notifications.js';
import { messageUrl, type PushNotification, pushExcerpt } from '../../../src/protocol/push.js';

const scope = 'https://chat.example.com/';
const note: PushNotification = {
  type: 'message',
  room_id: 'r1',
  room_name: 'General',
  room_kind: 'room',
  message_id: 'm1',
  seq: 7,
  author: 'alice',
  excerpt: 'hello',
  url: messageUrl('r1', 7),
};

describe('push notifications in the service worker', () => {
  it('names author and room; a DM only the author; one notification per room', () => {
    expect(notificationOptions(JSON.stringify(note), scope)).toEqual({
      title: 'alice in General',
      options: {
        body: 'hello',
        icon: 'https://chat.example.com/favicon.svg',
        tag: 'room:r1',
        data: { url: 'https://chat.example.com/#/room/r1/m/7' },
      },
    });
    const dm = { ...note, room_kind: 'dm', room_name: 'alice' };
    expect(notificationOptions(JSON.stringify(dm), scope).title).toBe('alice');
  });

  it('anything else still shows a generic notification (a push must show one)', () => {
    for (const text of [
      null,
      '',
      'not json',
      'null',
      '[]',
      '{"type":"other"}',
      '{"type":"message"}',
    ]) {
      expect(notificationOptions(text, scope).title, String(text)).toBe('Parley');
    }
  });

  it('a click opens only URLs of the app itself', () => {
    expect(openTarget({ url: `${scope}#/room/r1/m/7` }, scope)).toBe(`${scope}#/room/r1/m/7`);
    for (const data of [null, undefined, 'x', {}, { url: 'https://evil.example/' }, { url: 7 }]) {
      expect(openTarget(data, scope)).toBe(scope);
    }
  });

  it('excerpts cut long text at whole characters, with an ellipsis', () => {
    expect(pushExcerpt('  short  ')).toBe('short');
    const long = pushExcerpt('😀'.repeat(200));
    expect(Array.from(long)).toHaveLength(140);
    expect(long.endsWith('😀…')).toBe(true);
    expect(messageUrl('a b', 3)).toBe('/#/room/a%20b/m/3');
  });
});
