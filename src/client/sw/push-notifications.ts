// What the service worker shows for a push (README "Notifications"): the
// payload is the server's PushNotification JSON; anything else still shows a
// notification (browsers require one per push), a generic one.
import type { PushNotification } from '../../protocol/push.js';

export interface ShownNotification {
  title: string;
  options: NotificationOptions;
}

function parse(text: string | null): PushNotification | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<PushNotification> | null;
    if (
      value?.type === 'message' &&
      typeof value.room_id === 'string' &&
      typeof value.room_name === 'string' &&
      typeof value.author === 'string' &&
      typeof value.excerpt === 'string' &&
      typeof value.url === 'string'
    ) {
      return value as PushNotification;
    }
  } catch {
    // not JSON: the generic notification below
  }
  return null;
}

/** The notification for a push whose data is `text`. */
export function notificationOptions(text: string | null, scope: string): ShownNotification {
  const note = parse(text);
  const icon = new URL('favicon.svg', scope).href;
  if (!note) {
    return { title: 'Parley', options: { body: 'New activity', icon, data: { url: scope } } };
  }
  const dm = note.room_kind === 'dm';
  return {
    title: dm ? note.author : `${note.author} in ${note.room_name}`,
    options: {
      body: note.excerpt,
      icon,
      // one notification per room: a newer message replaces the older one
      tag: `room:${note.room_id}`,
      data: { url: new URL(note.url, scope).href },
    },
  };
}

/** Where a click on the notification goes: its URL when it is in the app's scope. */
export function openTarget(data: unknown, scope: string): string {
  const url = (data as { url?: unknown } | null)?.url;
  return typeof url === 'string' && url.startsWith(scope) ? url : scope;
}
