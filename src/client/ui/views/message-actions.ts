// What can be done with one message (react, reply, edit, delete), offered three
// ways: a toolbar on hover or focus, a menu from the keyboard (Enter on a focused
// message) or the toolbar's "More" button, and the same menu after a long press on
// a touch screen. The menu and the toolbar are built from the same list.
import type { LiveMessage } from '../../live-types.js';
import { h, type IconName, icon } from '../dom.js';
import { openPopover } from './popover.js';

export type ActionKind = 'react' | 'reply' | 'edit' | 'delete' | 'unread';

/** What the timeline lets a message do; absent in read-only lists (search results). */
export interface MessageActionHandlers {
  /** The reader's name (own messages, own reactions). */
  me: string;
  canEdit: (m: LiveMessage) => boolean;
  canDelete: (m: LiveMessage) => boolean;
  /** Opens the emoji picker next to `anchor`. */
  pickReaction: (m: LiveMessage, anchor: HTMLElement) => void;
  toggleReaction: (m: LiveMessage, emoji: string, on: boolean) => void;
  reply: (m: LiveMessage) => void;
  edit: (m: LiveMessage) => void;
  remove: (m: LiveMessage) => void;
  /** Marks this message and what follows unread; absent outside the workspace (menu only). */
  markUnread?: (m: LiveMessage) => void;
  /** Shows the original of a reply (loading history as far back as needed). */
  jumpTo: (seq: number) => void;
  /** The message's element now (it may have been redrawn), to give focus back to. */
  element: (m: LiveMessage) => HTMLElement | null | undefined;
}

const LABELS: Record<ActionKind, { label: string; icon: IconName; key: string }> = {
  react: { label: 'Add reaction', icon: 'smile', key: '+' },
  reply: { label: 'Reply', icon: 'reply', key: 'R' },
  edit: { label: 'Edit', icon: 'edit', key: 'E' },
  delete: { label: 'Delete', icon: 'trash', key: 'Delete' },
  unread: { label: 'Mark unread', icon: 'bell', key: 'U' },
};

/** The actions this reader has on `m`, in menu order. */
export function actionsFor(m: LiveMessage, a: MessageActionHandlers): ActionKind[] {
  const out: ActionKind[] = ['react', 'reply'];
  if (a.canEdit(m)) out.push('edit');
  if (a.canDelete(m)) out.push('delete');
  if (a.markUnread) out.push('unread');
  return out;
}

function run(kind: ActionKind, m: LiveMessage, a: MessageActionHandlers, anchor: HTMLElement) {
  switch (kind) {
    case 'react':
      a.pickReaction(m, anchor);
      break;
    case 'reply':
      a.reply(m);
      break;
    case 'edit':
      a.edit(m);
      break;
    case 'delete':
      a.remove(m);
      break;
    case 'unread':
      a.markUnread?.(m);
      break;
  }
}

/** The hover/focus toolbar (mouse; the keyboard uses the menu, so it is out of the tab order). */
export function actionToolbar(m: LiveMessage, a: MessageActionHandlers): HTMLElement {
  const bar = h('div', {
    class: 'msg-actions',
    role: 'toolbar',
    'aria-label': 'Message actions',
    'data-testid': 'message-actions',
  });
  // Marking unread is rare enough for the menu alone; the toolbar stays four buttons.
  for (const kind of actionsFor(m, a).filter((k) => k !== 'unread')) {
    const { label } = LABELS[kind];
    const btn = h(
      'button',
      {
        type: 'button',
        class: `msg-action${kind === 'delete' ? ' msg-action-danger' : ''}`,
        tabindex: '-1',
        'aria-label': label,
        title: label,
        'data-testid': `action-${kind}`,
      },
      icon(LABELS[kind].icon),
    );
    btn.addEventListener('click', (ev) => {
      ev.stopPropagation();
      run(kind, m, a, btn);
    });
    bar.appendChild(btn);
  }
  const more = h(
    'button',
    {
      type: 'button',
      class: 'msg-action',
      tabindex: '-1',
      'aria-label': 'More actions',
      'aria-haspopup': 'menu',
      title: 'More actions (Enter)',
      'data-testid': 'action-menu',
    },
    icon('more', 'icon-dots'),
  );
  more.addEventListener('click', (ev) => {
    ev.stopPropagation();
    openActionMenu(m, a, more);
  });
  bar.appendChild(more);
  return bar;
}

/** The actions as a menu next to `anchor` (a focused message, or the More button). */
export function openActionMenu(
  m: LiveMessage,
  a: MessageActionHandlers,
  anchor: HTMLElement,
): void {
  const items = actionsFor(m, a).map((kind) => {
    const { label, key } = LABELS[kind];
    const item = h(
      'button',
      {
        type: 'button',
        role: 'menuitem',
        class: `menu-item${kind === 'delete' ? ' menu-item-danger' : ''}`,
        'aria-keyshortcuts': key,
        'data-testid': `menu-${kind}`,
      },
      icon(LABELS[kind].icon),
      h('span', { class: 'menu-item-label' }, kind === 'react' ? 'Add reaction…' : label),
      h('kbd', { class: 'menu-item-key', 'aria-hidden': 'true' }, key),
    );
    item.addEventListener('click', () => run(kind, m, a, anchor));
    return item;
  });
  openPopover({
    label: `Actions for ${m.username}'s message`,
    anchor,
    returnFocus: () => a.element(m),
    items,
    role: 'menu',
    class: 'action-menu',
    testid: 'action-menu-popover',
  });
}

/** How long a press must last to count as a long press (ms). */
const LONG_PRESS_MS = 500;
/** Moving this far (px) makes it a scroll, not a press. */
const LONG_PRESS_SLOP = 10;

/**
 * Calls `fn` after a long touch on `el` (touch screens only: a mouse has hover and
 * a right click). The press's own click and the browser's menu are suppressed.
 */
export function onLongPress(el: HTMLElement, fn: () => void): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let start: { x: number; y: number } | null = null;
  let fired = false;
  const cancel = () => {
    clearTimeout(timer);
    start = null;
  };
  el.addEventListener('pointerdown', (ev) => {
    if (ev.pointerType !== 'touch') return;
    fired = false;
    start = { x: ev.clientX, y: ev.clientY };
    timer = setTimeout(() => {
      fired = true;
      start = null;
      fn();
    }, LONG_PRESS_MS);
  });
  el.addEventListener('pointermove', (ev) => {
    if (start && Math.hypot(ev.clientX - start.x, ev.clientY - start.y) > LONG_PRESS_SLOP) cancel();
  });
  el.addEventListener('pointerup', cancel);
  el.addEventListener('pointercancel', cancel);
  el.addEventListener('contextmenu', (ev) => {
    if (fired || start) ev.preventDefault();
  });
  el.addEventListener(
    'click',
    (ev) => {
      if (fired) {
        ev.preventDefault();
        ev.stopPropagation();
        fired = false;
      }
    },
    true,
  );
}
