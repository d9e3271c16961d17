// The message log: confirmed messages (by seq), inline join/leave notices, and our
// pending or failed messages at the end. Scrolling stays pinned to the bottom only
// when the reader was already there; otherwise a "new messages" button appears.
// Over 300 lines: hand-built DOM (no framework) for messages, notices, pending
// items, attachments and scroll anchoring, which must stay in one place to keep
// the reader's position stable.
import { messageText } from '../../../protocol/attachment-text.js';
import type { Message } from '../../../protocol/rest.js';
import type { OutboxItem } from '../../outbox.js';
import type { Notice, RoomSession, TimelineChange } from '../../room-session.js';
import { type Child, h, icon, type Keyed, reconcile, setChildren } from '../dom.js';
import { dayKey, dayLabel, formatFull, formatTime, parseTimestamp } from '../format.js';
import { attachmentList, pendingAttachmentList } from './attachments.js';
import { avatar } from './avatar.js';

/** Two messages of one author closer than this share one header. */
const GROUP_MS = 5 * 60_000;
/** Distance from the bottom (px) that still counts as "at the bottom". */
const PIN_SLACK = 48;
/** Distance from the top (px) at which older messages are fetched. */
const OLDER_TRIGGER = 160;

type Entry =
  | { kind: 'unread-line'; at: Date }
  | { kind: 'message'; m: Message; at: Date }
  | { kind: 'notice'; n: Notice }
  | { kind: 'pending'; p: OutboxItem; at: Date };

export class TimelineView {
  readonly el: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly log: HTMLElement;
  private readonly head: HTMLElement;
  private readonly jump: HTMLButtonElement;
  private cache = new Map<string, Element>();
  private pinned = true;
  private unread = 0;
  /** "New messages" goes before the first message of others after this seq (null: no line). */
  private unreadAfter: number | null = null;
  private readonly resizeObserver: ResizeObserver | null;

  constructor(
    private readonly session: RoomSession,
    roomName: string,
  ) {
    this.head = h('div', { class: 'timeline-head' });
    this.log = h('div', {
      class: 'timeline',
      role: 'log',
      'aria-live': 'polite',
      'aria-relevant': 'additions',
      'aria-label': `Messages in ${roomName}`,
      'aria-busy': 'true',
      'data-testid': 'timeline',
    });
    this.scroller = h(
      'div',
      {
        class: 'timeline-scroller',
        tabindex: '0',
        role: 'region',
        'aria-label': 'Conversation',
        'data-testid': 'timeline-scroller',
        on: { scroll: () => this.onScroll() },
      },
      this.head,
      this.log,
    );
    this.jump = h(
      'button',
      {
        type: 'button',
        class: 'jump-latest',
        hidden: true,
        'data-testid': 'jump-to-latest',
        on: { click: () => this.scrollToBottom(true) },
      },
      icon('down'),
      h('span', { class: 'jump-text' }, 'New messages'),
    );
    this.el = h('div', { class: 'timeline-wrap' }, this.scroller, this.jump);
    this.resizeObserver =
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver(() => {
            if (this.pinned) this.stickToBottom();
          });
    this.resizeObserver?.observe(this.scroller);
    this.renderHead();
  }

  /** Shows a "New messages" line after `seq`, where the reader left off. */
  setUnreadLine(seq: number | null): void {
    if (seq === this.unreadAfter) return;
    this.unreadAfter = seq;
    if (this.session.timeline.size > 0) this.render();
  }

  setRoomName(name: string): void {
    this.log.setAttribute('aria-label', `Messages in ${name}`);
  }

  destroy(): void {
    this.resizeObserver?.disconnect();
  }

  /** Re-renders after a session change and scrolls as the change calls for. */
  update(change: TimelineChange): void {
    const prevHeight = this.scroller.scrollHeight;
    const prevTop = this.scroller.scrollTop;
    const prevCount = this.session.timeline.size;
    const wasPinned = this.pinned;
    this.render();
    switch (change.reason) {
      case 'history':
        this.scrollToBottom(false);
        this.scrollToUnreadLine();
        this.maybeLoadOlder();
        break;
      case 'older':
        // Keep the message the reader was looking at in the same place.
        this.scroller.scrollTop = prevTop + (this.scroller.scrollHeight - prevHeight);
        break;
      default: {
        const own = 'own' in change && change.own;
        if (wasPinned || own) {
          this.scrollToBottom(false);
        } else if (change.reason === 'live') {
          this.unread += Math.max(1, this.session.timeline.size - prevCount);
          this.showJump();
        }
      }
    }
  }

  /** Re-renders only the head (older-messages state). */
  renderHead(): void {
    const s = this.session;
    const history = s.history;
    this.log.setAttribute('aria-busy', String(history.kind === 'loading'));
    if (history.kind === 'loading' && s.timeline.size === 0) {
      setChildren(
        this.head,
        h(
          'div',
          { class: 'timeline-loading' },
          h('span', { class: 'spinner' }),
          'Loading messages…',
        ),
      );
    } else if (history.kind === 'error' && s.timeline.size === 0) {
      setChildren(this.head, h('div', { class: 'timeline-empty' }, history.message));
    } else if (s.loadingOlder) {
      setChildren(
        this.head,
        h(
          'div',
          { class: 'timeline-loading' },
          h('span', { class: 'spinner' }),
          'Loading older messages…',
        ),
      );
    } else if (s.hasOlder) {
      setChildren(
        this.head,
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-ghost btn-small load-older',
            'data-testid': 'load-older',
            on: { click: () => void this.session.loadOlder() },
          },
          'Load older messages',
        ),
      );
    } else if (history.kind === 'ready') {
      setChildren(
        this.head,
        h(
          'div',
          { class: 'timeline-start', 'data-testid': 'timeline-start' },
          h('span', { class: 'timeline-start-icon', 'aria-hidden': 'true' }, icon('chat')),
          h('strong', null, 'This is the beginning of the room.'),
          s.timeline.size === 0 ? h('span', null, 'No messages yet. Say hello!') : null,
        ),
      );
    } else {
      setChildren(this.head);
    }
  }

  scrollToBottom(smooth: boolean): void {
    this.pinned = true;
    this.unread = 0;
    this.jump.hidden = true;
    if (smooth && typeof this.scroller.scrollTo === 'function') {
      this.scroller.scrollTo({ top: this.scroller.scrollHeight, behavior: 'smooth' });
    } else {
      this.stickToBottom();
    }
  }

  /** Opens at where the reader left off, when that is above the bottom. */
  private scrollToUnreadLine(): void {
    const line = this.log.querySelector<HTMLElement>('.unread-line');
    if (!line) return;
    const top = line.offsetTop - this.scroller.offsetTop - 8;
    if (top < this.scroller.scrollTop) {
      this.scroller.scrollTop = Math.max(0, top);
      this.pinned = false;
    }
  }

  private stickToBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  private onScroll(): void {
    const sc = this.scroller;
    this.pinned = sc.scrollHeight - sc.scrollTop - sc.clientHeight <= PIN_SLACK;
    if (this.pinned && !this.jump.hidden) {
      this.unread = 0;
      this.jump.hidden = true;
    }
    if (sc.scrollTop < OLDER_TRIGGER) this.maybeLoadOlder();
  }

  private maybeLoadOlder(): void {
    const s = this.session;
    if (!s.hasOlder || s.loadingOlder) return;
    const sc = this.scroller;
    if (sc.scrollTop < OLDER_TRIGGER || sc.scrollHeight <= sc.clientHeight) void s.loadOlder();
  }

  private showJump(): void {
    const text = this.jump.querySelector('.jump-text');
    if (text) {
      text.textContent = this.unread === 1 ? '1 new message' : `${this.unread} new messages`;
    }
    this.jump.hidden = false;
  }

  private entries(): Entry[] {
    const s = this.session;
    const out: Entry[] = [];
    const notices = [...s.notices].sort((a, b) => a.afterSeq - b.afterSeq || a.id - b.id);
    let ni = 0;
    let line = this.unreadAfter;
    for (const m of s.timeline.messages) {
      if (line !== null && m.seq > line && m.username !== s.username) {
        out.push({ kind: 'unread-line', at: parseTimestamp(m.timestamp) });
        line = null;
      }
      while (ni < notices.length && (notices[ni]?.afterSeq ?? 0) < m.seq) {
        out.push({ kind: 'notice', n: notices[ni]! });
        ni++;
      }
      out.push({ kind: 'message', m, at: parseTimestamp(m.timestamp) });
    }
    for (; ni < notices.length; ni++) out.push({ kind: 'notice', n: notices[ni]! });
    for (const p of s.outgoing) out.push({ kind: 'pending', p, at: new Date(p.created_at) });
    return out;
  }

  private render(): void {
    const me = this.session.username;
    const connected = this.session.state.kind === 'open';
    const items: Keyed[] = [];
    let lastDay = '';
    let prevAuthor: string | null = null;
    let prevAt = 0;
    const now = new Date();

    for (const e of this.entries()) {
      if (e.kind === 'unread-line') {
        items.push({ key: 'unread-line', render: unreadLine });
        continue;
      }
      const at = e.kind === 'notice' ? e.n.at : e.at;
      const day = dayKey(at);
      if (day !== lastDay) {
        lastDay = day;
        prevAuthor = null;
        const label = dayLabel(at, now);
        items.push({ key: `d:${day}:${label}`, render: () => dayDivider(label) });
      }
      if (e.kind === 'notice') {
        prevAuthor = null;
        const n = e.n;
        items.push({ key: `n:${n.id}`, render: () => noticeEl(n) });
        continue;
      }
      const author = e.kind === 'message' ? e.m.username : me;
      const cont = prevAuthor === author && at.getTime() - prevAt < GROUP_MS;
      prevAuthor = author;
      prevAt = at.getTime();
      if (e.kind === 'message') {
        const m = e.m;
        const own = m.username === me;
        items.push({
          key: `m:${m.seq}:${cont ? 'c' : 'f'}`,
          render: () => messageEl(m, at, own, cont),
        });
      } else {
        const p = e.p;
        const inflight = this.session.isInflight(p.client_id);
        const phase =
          p.status === 'failed'
            ? 'failed'
            : inflight
              ? 'sending'
              : connected
                ? 'queued'
                : 'offline';
        items.push({
          key: `p:${p.client_id}:${phase}:${cont ? 'c' : 'f'}`,
          render: () =>
            pendingEl(p, e.at, cont, phase, {
              retry: () => this.session.retry(p.client_id),
              discard: () => this.session.discard(p.client_id),
            }),
        });
      }
    }
    this.cache = reconcile(this.log, items, this.cache);
    this.renderHead();
  }
}

export function dayDivider(label: string): Element {
  return h(
    'div',
    { class: 'day-divider', role: 'separator', 'aria-label': label },
    h('span', null, label),
  );
}

function unreadLine(): Element {
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

function timeEl(at: Date): HTMLElement {
  return h(
    'time',
    { class: 'msg-time', datetime: at.toISOString(), title: formatFull(at) },
    formatTime(at),
  );
}

function noticeEl(n: Notice): Element {
  return h(
    'div',
    { class: `notice notice-${n.kind}`, 'data-testid': 'notice', 'data-kind': n.kind },
    h('span', { class: 'notice-dot', 'aria-hidden': 'true' }),
    h('span', { class: 'notice-text' }, n.text),
    timeEl(n.at),
  );
}

export function messageEl(m: Message, at: Date, own: boolean, cont: boolean): Element {
  return h(
    'div',
    {
      class: `msg${own ? ' msg-own' : ''}${cont ? ' msg-cont' : ''}`,
      'data-testid': 'message',
      'data-seq': String(m.seq),
      'data-id': m.id,
      'data-username': m.username,
    },
    h(
      'div',
      { class: 'msg-gutter' },
      cont
        ? h(
            'time',
            { class: 'msg-time msg-time-hover', datetime: at.toISOString(), title: formatFull(at) },
            formatTime(at),
          )
        : avatar(m.username),
    ),
    h(
      'div',
      { class: 'msg-main' },
      cont
        ? h('span', { class: 'visually-hidden' }, `${m.username}:`)
        : h(
            'div',
            { class: 'msg-head' },
            h('span', { class: 'msg-author', 'data-testid': 'message-author' }, m.username),
            own ? h('span', { class: 'badge' }, 'you') : null,
            timeEl(at),
          ),
      messageBody(m),
    ),
  );
}

/** The text (without the lines naming files, which are for clients without attachments) and the files. */
function messageBody(m: Message): Child {
  if (!m.attachments || m.attachments.length === 0) {
    return h('div', { class: 'msg-content', 'data-testid': 'message-content' }, m.content);
  }
  const text = messageText(m.content, m.attachments);
  return [
    text === '' ? null : h('div', { class: 'msg-content', 'data-testid': 'message-content' }, text),
    attachmentList(m.attachments),
  ];
}

type PendingPhase = 'sending' | 'queued' | 'offline' | 'failed';

function pendingEl(
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
        : h('div', { class: 'msg-content', 'data-testid': 'message-content' }, p.content),
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
