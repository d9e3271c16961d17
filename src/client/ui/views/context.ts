// A room's history opened at one message (from search): the message marked and
// centred, its neighbours around it, older and newer pages loaded on scroll or by
// button, and a bar leading back to the live conversation.
import type { ContextWindow } from '../../context-window.js';
import { h, icon, type Keyed, reconcile, setChildren } from '../dom.js';
import { dayKey, dayLabel, formatFull, parseTimestamp } from '../format.js';
import { dayDivider, messageEl } from './timeline.js';

const GROUP_MS = 5 * 60_000;
/** Distance from either end (px) at which the next page is fetched. */
const EDGE = 160;

export class ContextView {
  readonly el: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly log: HTMLElement;
  private readonly head: HTMLElement;
  private readonly foot: HTMLElement;
  private readonly bar: HTMLElement;
  private cache = new Map<string, Element>();
  private centred = false;

  constructor(
    private readonly win: ContextWindow,
    private readonly username: string,
    roomName: string,
    private readonly onPresent: () => void,
  ) {
    this.head = h('div', { class: 'timeline-head' });
    this.foot = h('div', { class: 'timeline-foot' });
    this.log = h('div', {
      class: 'timeline',
      role: 'log',
      'aria-label': `Messages in ${roomName} around the chosen one`,
      'data-testid': 'context-timeline',
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
      this.foot,
    );
    this.bar = h('div', { class: 'context-bar', 'data-testid': 'context-bar' });
    this.el = h('div', { class: 'timeline-wrap context-wrap' }, this.bar, this.scroller);
    win.on('change', (change) => this.update(change));
    this.render();
  }

  private update(change: string): void {
    const prevHeight = this.scroller.scrollHeight;
    const prevTop = this.scroller.scrollTop;
    this.render();
    if (change === 'older') {
      this.scroller.scrollTop = prevTop + (this.scroller.scrollHeight - prevHeight);
    } else if (change === 'loaded' && !this.centred) {
      this.centred = true;
      const target = this.log.querySelector<HTMLElement>('.msg-target');
      if (target) {
        target.scrollIntoView({ block: 'center' });
        target.focus({ preventScroll: true });
      }
    }
    if (change === 'loaded' || change === 'newer') this.maybeLoad();
  }

  private onScroll(): void {
    this.maybeLoad();
  }

  private maybeLoad(): void {
    const sc = this.scroller;
    if (this.win.loading) return;
    if (sc.scrollTop < EDGE && this.win.hasOlder) void this.win.loadOlder();
    else if (sc.scrollHeight - sc.scrollTop - sc.clientHeight < EDGE && this.win.hasNewer) {
      void this.win.loadNewer();
    }
  }

  private render(): void {
    const w = this.win;
    const target = w.target;
    setChildren(
      this.bar,
      h('span', { class: 'context-bar-icon', 'aria-hidden': 'true' }, icon('search')),
      h(
        'span',
        { class: 'context-bar-text' },
        target
          ? `Viewing a message from ${formatFull(parseTimestamp(target.timestamp))}`
          : w.loading === 'initial'
            ? 'Finding the message…'
            : 'Viewing older messages',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-primary btn-small',
          'data-testid': 'back-to-present',
          on: { click: () => this.onPresent() },
        },
        'Jump to present',
      ),
    );
    const items: Keyed[] = [];
    let lastDay = '';
    let prevAuthor: string | null = null;
    let prevAt = 0;
    const now = new Date();
    for (const m of w.timeline.messages) {
      const at = parseTimestamp(m.timestamp);
      const day = dayKey(at);
      if (day !== lastDay) {
        lastDay = day;
        prevAuthor = null;
        const label = dayLabel(at, now);
        items.push({ key: `d:${day}:${label}`, render: () => dayDivider(label) });
      }
      const isTarget = m.seq === w.targetSeq;
      const cont = !isTarget && prevAuthor === m.username && at.getTime() - prevAt < GROUP_MS;
      prevAuthor = isTarget ? null : m.username;
      prevAt = at.getTime();
      items.push({
        // The revision in the key: an edit or a reaction redraws the message.
        key: `m:${m.seq}:${w.timeline.rev(m.id)}:${cont ? 'c' : 'f'}:${isTarget ? 't' : ''}`,
        render: () => {
          const el = messageEl(m, at, m.username === this.username, cont, { me: this.username });
          if (isTarget) {
            el.classList.add('msg-target');
            el.setAttribute('tabindex', '-1');
            el.setAttribute('aria-current', 'true');
          }
          return el;
        },
      });
    }
    this.cache = reconcile(this.log, items, this.cache);
    this.log.setAttribute('aria-busy', String(w.loading !== null));
    setChildren(this.head, this.edge('older'));
    setChildren(this.foot, this.edge('newer'));
  }

  private edge(side: 'older' | 'newer'): HTMLElement | null {
    const w = this.win;
    if (w.loading === side || (w.loading === 'initial' && side === 'older')) {
      return h(
        'div',
        { class: 'timeline-loading' },
        h('span', { class: 'spinner' }),
        side === 'older' ? 'Loading older messages…' : 'Loading newer messages…',
      );
    }
    if (w.error && w.timeline.size === 0 && side === 'older') {
      return h('div', { class: 'timeline-empty' }, w.error);
    }
    if (w.loading === 'initial') return null;
    if (side === 'older') {
      return w.hasOlder
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn btn-ghost btn-small load-older',
              'data-testid': 'load-older',
              on: { click: () => void w.loadOlder() },
            },
            'Load older messages',
          )
        : h(
            'div',
            { class: 'timeline-start', 'data-testid': 'timeline-start' },
            h('strong', null, 'This is the beginning of the room.'),
          );
    }
    return w.hasNewer
      ? h(
          'button',
          {
            type: 'button',
            class: 'btn btn-ghost btn-small load-newer',
            'data-testid': 'load-newer',
            on: { click: () => void w.loadNewer() },
          },
          'Load newer messages',
        )
      : h(
          'button',
          {
            type: 'button',
            class: 'btn btn-ghost btn-small',
            'data-testid': 'context-end',
            on: { click: () => this.onPresent() },
          },
          'Up to date: back to the live conversation',
        );
  }
}
