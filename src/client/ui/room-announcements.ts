// What a screen reader hears about a room. The session reports what happened (a
// join or leave notice, a message the server refused, the connection lost, back or
// given up, the room deleted); the sentences for the polite live region are here.
import type { Unsubscribe } from '../emitter.js';
import type { ConnectionNews, RoomSession, SendFailure } from '../room-session.js';
import type { Announcer } from './announcer.js';

export const CONNECTION_TEXT: Readonly<Record<ConnectionNews, string>> = {
  lost: 'Connection lost. Reconnecting…',
  back: 'Reconnected.',
  gave_up: 'Disconnected. Still trying; use Retry to reconnect now.',
};

export const ROOM_DELETED_TEXT = 'This room was deleted.';

export function sendFailedText(f: SendFailure): string {
  return `Message not sent: ${f.reason}`;
}

/** Reads a room session's news out through `announcer`; returns the undo. */
export function announceRoom(
  session: Pick<RoomSession, 'on'>,
  announcer: Pick<Announcer, 'say'>,
): Unsubscribe {
  const offs = [
    session.on('notice', (n) => announcer.say(n.text)),
    session.on('sendFailed', (f) => announcer.say(sendFailedText(f))),
    session.on('connection', (news) => announcer.say(CONNECTION_TEXT[news])),
    session.on('deleted', () => announcer.say(ROOM_DELETED_TEXT)),
  ];
  return () => {
    for (const off of offs) off();
  };
}
