// The message log: confirmed messages (by seq, with our own edits, deletes and
// reactions still on their way shown at once), inline join/leave notices, and our
// pending or failed messages at the end. Scrolling stays pinned to the bottom only
// when the reader was already there; otherwise a "new messages" button appears,
// and a change above (an edit, a delete) keeps what the reader looks at in place.
// Messages are focusable items (one tab stop, arrow keys move between them; Enter
// opens a message's actions), edited in place, and replies jump to their original.
// Over 300 lines: hand-built DOM (no framework) for the log and its scroll
// anchoring, which must stay in one place to keep the reader's position stable;
// one message's DOM is in message-item.ts, its actions in message-actions.ts.
import { composeContent, messageText } from '../../../protocol/attachment-text.js';
import type { ReplyPreview } from '../../../protocol/changes.js';
import { REPLY_EXCERPT_LENGTH } from '../../../protocol/changes.js';
import type { PendingChange } from '../../change-outbox.js';
import type { LiveMessage } from '../../live-types.js';
import { applyChange } from '../../message-changes.js';
import type { OutboxItem } from '../../outbox.js';
import type { Notice, RoomSession, TimelineChange } from '../../room-session.js';
import { h, icon, type Keyed, reconcile, setChildren, uid } from '../dom.js';
import { dayKey, dayLabel, parseTimestamp } from '../format.js';
import { confirmDialog } from './confirm-dialog.js';
import { openEmojiPicker } from './emoji-picker.js';
import type { MessageActionHandlers } from './message-actions.js';
import { MessageEditor } from './message-editor.js';
import { MessageFocus, messageElement, nextItem } from './message-focus.js';
import { messageEl } from './message-item.js';
import { dayDivider, noticeEl, pendingEl, unreadLine } from './timeline-items.js';
import { toast } from './toast.js';

export { dayDivider, messageEl };

/** Two messages of one author closer than this share one header. */
const GROUP_MS = 5 * 60_000;
/** Distance from the bottom (px) that still counts as "at the bottom". */
const PIN_SLACK = 48;
/** Distance from the top (px) at which older messages are fetched. */
const OLDER_TRIGGER = 160;

/** How long a message jumped to stays highlighted (ms). */
const HIGHLIGHT_MS = 2_500;

export interface TimelineOptions {
  /** Whether the reader may delete others' messages (a room's owner or an admin, accounts mode). */
  canModerate: () => boolean;
  /** Reply to a message (the composer shows it). */
  onReply: (preview: ReplyPreview) => void;
  /** Focus back to the composer (Escape on a message, an edit begun there ends). */
  onDone: () => void;
  /** Marks unread from this seq on (the workspace's read position); absent: no such action. */
  onMarkUnread?: (seq: number) => void;
}

/** The quote a reply carries, as the composer and a pending reply show it. */
export function previewOf(m: LiveMessage): ReplyPreview {
  return {
    id: m.id,
    seq: m.seq,
    username: m.username,
    excerpt: [...m.content].slice(0, REPLY_EXCERPT_LENGTH).join(''),
  };
}

/** A message with our changes still in the outbox applied (null: we deleted it). */
function withPending(m: LiveMessage, changes: readonly PendingChange[] | undefined, me: string) {
  let shown: LiveMessage | null = m;
  for (const c of changes ?? []) {
    if (!shown) break;
    shown = applyChange(shown, {
      kind: c.kind === 'react' ? (c.on ? 'react' : 'unreact') : c.kind,
      username: me,
      // As the server stores it: the typed text, then the lines naming the files.
      content: c.kind === 'edit' ? composeContent(c.content, shown.attachments ?? []) : undefined,
      emoji: c.kind === 'react' ? c.emoji : undefined,
      timestamp: c.created_at,
    });
  }
  return shown;
}

type Entry =
  | { kind: 'unread-line'; at: Date }
  | { kind: 'message'; m: LiveMessage; at: Date; saving: string }
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
  private readonly actions: MessageActionHandlers;
  /** The messages as shown (our pending changes applied), by id. */
  private shown = new Map<string, LiveMessage>();
  private editor: { view: MessageEditor; from: 'composer' | 'message' } | null = null;
  private readonly focus: MessageFocus;
  private readonly hintId = uid('msg-hint');
  private highlightTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly session: RoomSession,
    roomName: string,
    private readonly opts: TimelineOptions = {
      canModerate: () => false,
      onReply: () => {},
      onDone: () => {},
    },
  ) {
    const me = session.username;
    this.actions = {
      me,
      canEdit: (m) => m.username === me,
      canDelete: (m) => m.username === me || this.opts.canModerate(),
      pickReaction: (m, anchor) => {
        const mine = new Set(
          (this.shown.get(m.id)?.reactions ?? [])
            .filter((r) => r.users.includes(me))
            .map((r) => r.emoji),
        );
        openEmojiPicker({
          anchor,
          mine,
          returnFocus: () => this.element(m.id),
          onPick: (emoji, on) => this.session.react(m.id, emoji, on),
        });
      },
      toggleReaction: (m, emoji, on) => this.session.react(m.id, emoji, on),
      reply: (m) => this.opts.onReply(previewOf(m)),
      edit: (m) => this.startEdit(m.id, 'message'),
      remove: (m) => void this.confirmDelete(m),
      jumpTo: (seq) => void this.jumpTo(seq),
      element: (m) => this.element(m.id),
      ...(opts.onMarkUnread ? { markUnread: (m) => opts.onMarkUnread?.(m.seq) } : {}),
    };
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
    this.focus = new MessageFocus({
      log: this.log,
      actions: this.actions,
      message: (id) => this.shown.get(id),
      onDone: () => this.opts.onDone(),
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
      h(
        'p',
        { id: this.hintId, class: 'visually-hidden' },
        'Arrow keys move between messages; Enter opens the actions of a message.',
      ),
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
    clearTimeout(this.highlightTimer);
  }

  /** Edits the reader's newest message (Up in an empty composer); false when there is none. */
  editLastOwn(): boolean {
    const ms = this.session.timeline.messages;
    for (let i = ms.length - 1; i >= 0; i--) {
      const m = ms[i] as LiveMessage;
      const shown = this.shown.get(m.id);
      if (shown && this.actions.canEdit(shown)) {
        this.startEdit(m.id, 'composer');
        return true;
      }
    }
    return false;
  }

  /**
   * Shows the message with `seq`, loading older history as far back as needed, and
   * highlights it (a reply's original).
   */
  async jumpTo(seq: number): Promise<void> {
    const found = await this.session.reveal(seq);
    const el = found ? this.log.querySelector<HTMLElement>(`article.msg[data-seq="${seq}"]`) : null;
    if (!el) {
      toast('That message is no longer available.', 'info');
      return;
    }
    for (const old of this.log.querySelectorAll('.msg-highlight')) {
      old.classList.remove('msg-highlight');
    }
    el.classList.add('msg-highlight');
    el.dataset.highlight = 'true';
    el.scrollIntoView({ block: 'center' });
    this.onScroll();
    el.focus({ preventScroll: true });
    clearTimeout(this.highlightTimer);
    this.highlightTimer = setTimeout(() => {
      el.classList.remove('msg-highlight');
      delete el.dataset.highlight;
    }, HIGHLIGHT_MS);
  }

  private element(id: string): HTMLElement | null {
    return messageElement(this.log, id);
  }

  private startEdit(id: string, from: 'composer' | 'message'): void {
    const m = this.shown.get(id);
    if (!m || !this.actions.canEdit(m)) return;
    const view = new MessageEditor({
      messageId: id,
      initial: messageText(m.content, m.attachments),
      onSave: (text) => {
        const problem = this.session.edit(id, text);
        if (problem === null) this.endEdit();
        return problem;
      },
      onCancel: () => this.endEdit(),
    });
    this.editor = { view, from };
    this.renderKeeping();
    const el = this.element(id);
    el?.scrollIntoView({ block: 'nearest' });
    view.focus();
  }

  private endEdit(): void {
    const ed = this.editor;
    if (!ed) return;
    this.editor = null;
    this.renderKeeping();
    if (ed.from === 'composer') this.opts.onDone();
    else this.element(ed.view.messageId)?.focus({ preventScroll: true });
  }

  private async confirmDelete(m: LiveMessage): Promise<void> {
    const el = this.element(m.id);
    const next = nextItem(el, 1) ?? nextItem(el, -1);
    const ok = await confirmDialog({
      title: 'Delete this message?',
      body: 'It will be gone for everyone. This cannot be undone.',
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!ok) {
      this.element(m.id)?.focus({ preventScroll: true });
      return;
    }
    if (this.editor?.view.messageId === m.id) this.editor = null;
    this.session.remove(m.id);
    const nextId = next?.dataset.id;
    const target = nextId ? this.element(nextId) : null;
    if (target) target.focus({ preventScroll: true });
    else this.opts.onDone();
  }

  /** Redraws, keeping the message the reader looks at where it is on screen. */
  private renderKeeping(): void {
    if (this.pinned) {
      this.render();
      this.stickToBottom();
      return;
    }
    const anchors = this.visibleAnchors();
    this.render();
    for (const a of anchors) {
      const el = this.element(a.id);
      if (!el) continue;
      this.scroller.scrollTop += el.getBoundingClientRect().top - a.top;
      break;
    }
  }

  /** The first message on screen and a few after it (if it goes, the next holds the place). */
  private visibleAnchors(): { id: string; top: number }[] {
    const top = this.scroller.getBoundingClientRect().top;
    const out: { id: string; top: number }[] = [];
    for (const el of this.log.querySelectorAll<HTMLElement>('article.msg[data-id]')) {
      const r = el.getBoundingClientRect();
      if (out.length === 0 && r.bottom <= top) continue;
      out.push({ id: el.dataset.id ?? '', top: r.top });
      if (out.length >= 8) break;
    }
    return out;
  }

  /** Re-renders after a session change and scrolls as the change calls for. */
  update(change: TimelineChange): void {
    const prevHeight = this.scroller.scrollHeight;
    const prevTop = this.scroller.scrollTop;
    const prevCount = this.session.timeline.size;
    const wasPinned = this.pinned;
    if (change.reason === 'change') {
      this.renderKeeping();
      return;
    }
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

  private onScroll = (): void => {
    const sc = this.scroller;
    this.pinned = sc.scrollHeight - sc.scrollTop - sc.clientHeight <= PIN_SLACK;
    if (this.pinned && !this.jump.hidden) {
      this.unread = 0;
      this.jump.hidden = true;
    }
    if (sc.scrollTop < OLDER_TRIGGER) this.maybeLoadOlder();
  };

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
    const pending = new Map<string, PendingChange[]>();
    for (const c of s.pendingChanges) {
      const list = pending.get(c.message_id);
      if (list) list.push(c);
      else pending.set(c.message_id, [c]);
    }
    const shown = new Map<string, LiveMessage>();
    let line = this.unreadAfter;
    for (const confirmed of s.timeline.messages) {
      const changes = pending.get(confirmed.id);
      const m = changes ? withPending(confirmed, changes, s.username) : confirmed;
      if (!m) continue;
      shown.set(m.id, m);
      if (line !== null && m.seq > line && m.username !== s.username) {
        out.push({ kind: 'unread-line', at: parseTimestamp(m.timestamp) });
        line = null;
      }
      while (ni < notices.length && (notices[ni]?.afterSeq ?? 0) < m.seq) {
        out.push({ kind: 'notice', n: notices[ni]! });
        ni++;
      }
      const saving = changes ? changes.map((c) => c.client_id).join(',') : '';
      out.push({ kind: 'message', m, at: parseTimestamp(m.timestamp), saving });
    }
    this.shown = shown;
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
        const editor = this.editor?.view.messageId === m.id ? this.editor.view : null;
        const rev = this.session.timeline.rev(m.id);
        items.push({
          key: `m:${m.seq}:${rev}:${e.saving}:${cont ? 'c' : 'f'}:${editor ? 'e' : ''}`,
          render: () =>
            messageEl(m, at, own, cont, {
              actions: this.actions,
              editor: editor?.el ?? null,
              saving: e.saving !== '',
              hintId: this.hintId,
              redraw: rev > 0 || e.saving !== '' || editor !== null,
            }),
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
    // A redraw replaces a changed message's element: focus inside it must not be lost.
    const active = document.activeElement;
    const focusedId =
      active instanceof HTMLElement && this.log.contains(active)
        ? active.closest<HTMLElement>('article.msg')?.dataset.id
        : undefined;
    this.cache = reconcile(this.log, items, this.cache);
    if (focusedId !== undefined && document.activeElement !== active) {
      // The editor box is moved, not rebuilt; anything else falls back to its message.
      const target =
        active instanceof HTMLElement && active.isConnected ? active : this.element(focusedId);
      target?.focus({ preventScroll: true });
    }
    this.focus.restore();
    this.renderHead();
  }
}
