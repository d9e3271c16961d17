// Desktop notifications while the tab is hidden, as each room's setting allows
// (every message, mentions only, never), and the unread count on the tab's title
// and icon. Clicking a notification brings the tab forward at that message.

import { messageText } from '../../protocol/attachment-text.js';
import type { User } from '../accounts.js';
import type { Unsubscribe } from '../emitter.js';
import { roomDisplayName } from '../permissions.js';
import type { Workspace } from '../workspace.js';
import { setUnreadBadge } from './title.js';

const BODY_MAX = 160;

export function startNotifier(opts: {
  workspace: Workspace;
  me: User | null;
  /** Opens the room at the message. */
  open: (roomId: string, seq: number) => void;
}): Unsubscribe {
  const sidebar = opts.workspace.sidebar;
  const badge = () => setUnreadBadge(sidebar.totalUnread, sidebar.totalMentions > 0);
  const offChange = sidebar.on('change', badge);
  const offMessage = sidebar.on('message', ({ room, message, mention }) => {
    if (!document.hidden) return;
    if (room.notify === 'none' || (room.notify === 'mentions' && !mention)) return;
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    const name = roomDisplayName(room.room, opts.me);
    const where = room.room.kind === 'dm' ? '' : ` in ${name}`;
    const title = mention
      ? `${message.username} mentioned you${where}`
      : `${message.username}${where}`;
    let body = messageText(message.content, message.attachments ?? []);
    if (body.length > BODY_MAX) body = `${body.slice(0, BODY_MAX - 1)}…`;
    try {
      const n = new Notification(title, {
        body,
        tag: `${room.room.id}:${message.seq}`,
        icon: 'favicon.svg',
      });
      n.onclick = () => {
        window.focus();
        opts.open(room.room.id, message.seq);
        n.close();
      };
    } catch {
      // Some browsers (Android Chrome) only notify from a service worker: the title still counts.
    }
  });
  badge();
  return () => {
    offChange();
    offMessage();
    setUnreadBadge(0, false);
  };
}
