// The log's items other than confirmed messages (message-item.ts): day dividers,
// join/leave notices, and our own messages still on their way or failed.
import type { OutboxItem } from '../../outbox.js';
import type { Notice } from '../../room-session.js';
import { h } from '../dom.js';
import { formatFull, formatTime } from '../format.js';
import { renderMarkdown } from '../markdown.js';
import { pendingAttachmentList } from './attachments.js';
import { avatar } from './avatar.js';
import { replyQuote } from './message-item.js';

/** Where the reader left off: "New messages" before the first unread message. */
export function unreadLine(): Element {
  return h(
    'div',
    {
      class: 'unread-line',
      role: 'separator',
      'aria-label': 'New messages',
      'data-testid': 'unread-line',
    },
    h('span', null, 'New messages'),
  );
}

export function dayDivider(label: string): Element {
  return h(
    'div',
    { class: 'day-divider', role: 'separator', 'aria-label': label },
    h('span', null, label),
  );
}

function timeEl(at: Date): HTMLElement {
  return h(
    'time',
    { class: 'msg-time', datetime: at.toISOString(), title: formatFull(at) },
    formatTime(at),
  );
}

export function noticeEl(n: Notice): Element {
  return h(
    'div',
    { class: `notice notice-${n.kind}`, 'data-testid': 'notice', 'data-kind': n.kind },
    h('span', { class: 'notice-dot', 'aria-hidden': 'true' }),
    h('span', { class: 'notice-text' }, n.text),
    timeEl(n.at),
  );
}

export type PendingPhase = 'sending' | 'queued' | 'offline' | 'failed';

export function pendingEl(
  p: OutboxItem,
  at: Date,
  cont: boolean,
  phase: PendingPhase,
  actions: { retry: () => void; discard: () => void },
): Element {
  const statusText =
    phase === 'failed'
      ? `Not sent${p.error ? `: ${p.error}` : ''}`
      : phase === 'offline'
        ? 'Waiting for connection…'
        : 'Sending…';
  return h(
    'div',
    {
      class: `msg msg-own msg-pending${phase === 'failed' ? ' msg-failed' : ''}${cont ? ' msg-cont' : ''}`,
      'data-testid': 'pending-message',
      'data-client-id': p.client_id,
      'data-status': phase,
    },
    h('div', { class: 'msg-gutter' }, cont ? null : avatar(p.username)),
    h(
      'div',
      { class: 'msg-main' },
      p.reply_to ? replyQuote(p.reply_to, undefined) : null,
      cont
        ? null
        : h(
            'div',
            { class: 'msg-head' },
            h('span', { class: 'msg-author' }, p.username),
            h('span', { class: 'badge' }, 'you'),
            timeEl(at),
          ),
      p.content === ''
        ? null
        : // As it will look once confirmed, so nothing jumps when the echo comes.
          h(
            'div',
            { class: 'msg-content md', 'data-testid': 'message-content' },
            renderMarkdown(p.content, { me: p.username }).fragment,
          ),
      p.attachments ? pendingAttachmentList(p.attachments) : null,
      h(
        'div',
        { class: 'msg-status' },
        phase === 'failed'
          ? null
          : h('span', { class: 'spinner spinner-sm', 'aria-hidden': 'true' }),
        h('span', { class: 'msg-status-text', 'data-testid': 'pending-status' }, statusText),
        phase === 'failed'
          ? [
              h(
                'button',
                {
                  type: 'button',
                  class: 'link-btn',
                  'data-testid': 'retry-message',
                  on: { click: actions.retry },
                },
                'Retry',
              ),
              h(
                'button',
                {
                  type: 'button',
                  class: 'link-btn link-btn-muted',
                  'data-testid': 'discard-message',
                  on: { click: actions.discard },
                },
                'Discard',
              ),
            ]
          : null,
      ),
    ),
  );
}
