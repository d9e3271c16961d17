// The keyboard in the message log: the log is one tab stop (the message last
// focused, else the newest), arrow keys and Home/End move between messages, Enter
// (or the context-menu key, Shift+F10) opens a message's actions, and single keys
// act at once (R reply, E edit, + react, Delete). Escape goes back to the composer.
import type { LiveMessage } from '../../live-types.js';
import { type MessageActionHandlers, openActionMenu } from './message-actions.js';

const ITEM = 'article.msg[data-id]';

export interface MessageFocusOptions {
  log: HTMLElement;
  actions: MessageActionHandlers;
  /** The message as shown, by id. */
  message: (id: string) => LiveMessage | undefined;
  /** Escape: back to the composer. */
  onDone: () => void;
}

export class MessageFocus {
  /** The message that is the log's one tab stop. */
  private activeId: string | null = null;
  private tabStop: HTMLElement | null = null;

  constructor(private readonly opts: MessageFocusOptions) {
    opts.log.addEventListener('keydown', (ev) => this.onKey(ev));
    opts.log.addEventListener('focusin', (ev) => {
      const item = (ev.target as Element).closest<HTMLElement>('article.msg');
      if (item?.dataset.id) this.setTabStop(item);
    });
  }

  /** After a redraw: the active message stays the tab stop; else the newest one. */
  restore(): void {
    const el =
      (this.activeId ? messageElement(this.opts.log, this.activeId) : null) ??
      [...this.opts.log.querySelectorAll<HTMLElement>(ITEM)].at(-1) ??
      null;
    if (el !== this.tabStop || (el && el.tabIndex !== 0)) this.setTabStop(el);
  }

  private setTabStop(el: HTMLElement | null): void {
    if (this.tabStop && this.tabStop !== el) this.tabStop.tabIndex = -1;
    this.tabStop = el;
    if (!el) return;
    el.tabIndex = 0;
    this.activeId = el.dataset.id ?? null;
  }

  private onKey(ev: KeyboardEvent): void {
    const item = ev.target;
    if (!(item instanceof HTMLElement) || !item.matches(ITEM)) return;
    const m = this.opts.message(item.dataset.id ?? '');
    if (!m) return;
    const a = this.opts.actions;
    const go = (el: HTMLElement | null | undefined) => {
      ev.preventDefault();
      if (!el) return;
      el.focus({ preventScroll: true });
      el.scrollIntoView({ block: 'nearest' });
    };
    const all = () => [...this.opts.log.querySelectorAll<HTMLElement>(ITEM)];
    switch (ev.key) {
      case 'ArrowUp':
        go(nextItem(item, -1));
        return;
      case 'ArrowDown':
        go(nextItem(item, 1));
        return;
      case 'Home':
        go(all()[0]);
        return;
      case 'End':
        go(all().at(-1));
        return;
      case 'Enter':
      case 'ContextMenu':
        ev.preventDefault();
        openActionMenu(m, a, item);
        return;
      case 'F10':
        if (ev.shiftKey) {
          ev.preventDefault();
          openActionMenu(m, a, item);
        }
        return;
      case 'Escape':
        ev.preventDefault();
        this.opts.onDone();
        return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const key = ev.key.toLowerCase();
    if (key === 'r') {
      ev.preventDefault();
      a.reply(m);
    } else if (key === 'e' && a.canEdit(m)) {
      ev.preventDefault();
      a.edit(m);
    } else if (key === '+' || key === '=') {
      ev.preventDefault();
      a.pickReaction(m, item.querySelector<HTMLElement>('[data-testid="action-react"]') ?? item);
    } else if ((key === 'delete' || key === 'backspace') && a.canDelete(m)) {
      ev.preventDefault();
      a.remove(m);
    }
  }
}

/** The element of the message with `id` in `log`. */
export function messageElement(log: ParentNode, id: string): HTMLElement | null {
  return log.querySelector<HTMLElement>(`article.msg[data-id="${CSS.escape(id)}"]`);
}

/** The message item before (-1) or after (1) `el` in the log, skipping notices and dividers. */
export function nextItem(el: Element | null, dir: 1 | -1): HTMLElement | null {
  let cur = el;
  while (cur) {
    cur = dir === 1 ? cur.nextElementSibling : cur.previousElementSibling;
    if (cur instanceof HTMLElement && cur.matches(ITEM)) return cur;
  }
  return null;
}
