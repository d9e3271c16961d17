// A small floating panel (an action menu, the emoji picker) opened from a button
// or a focused message: placed next to its anchor (a bottom sheet on phones, by
// CSS), closed by Escape, Tab, a click outside or a choice, and focus goes back
// where it came from. Only one is open at a time. Arrow keys move between its
// items; `columns` > 1 makes Up/Down move by rows (a grid of emoji).
import { h } from '../dom.js';

export interface PopoverOptions {
  /** What the panel is, for screen readers. */
  label: string;
  /** The element it is placed next to. */
  anchor: HTMLElement;
  /**
   * Where focus goes when it closes (the anchor by default); a function, as the
   * action may have redrawn the element that opened it.
   */
  returnFocus?: (() => HTMLElement | null | undefined) | undefined;
  /** The items arrow keys move between (buttons). */
  items: HTMLButtonElement[];
  /** Items per row. @default 1 */
  columns?: number;
  role: 'menu';
  class: string;
  testid: string;
  /** Shown before the items (e.g. a row of quick reactions in the menu). */
  header?: HTMLElement | null;
}

let current: { close: (refocus: boolean) => void } | null = null;

/** Closes the open popover, if any (without moving focus). */
export function closePopover(): void {
  current?.close(false);
}

export function openPopover(opts: PopoverOptions): { el: HTMLElement; close: () => void } {
  current?.close(false);
  const columns = opts.columns ?? 1;
  const list = h(
    'div',
    {
      class: `popover-items${columns > 1 ? ' popover-grid' : ''}`,
      role: opts.role,
      'aria-label': opts.label,
    },
    opts.items,
  );
  const el = h(
    'div',
    { class: `popover ${opts.class}`, 'data-testid': opts.testid },
    opts.header ?? null,
    list,
  );
  for (const item of opts.items) item.tabIndex = -1;
  const back = () => opts.returnFocus?.() ?? opts.anchor;
  let closed = false;
  const close = (refocus: boolean) => {
    if (closed) return;
    closed = true;
    if (current?.close === close) current = null;
    el.remove();
    document.removeEventListener('pointerdown', onOutside, true);
    window.removeEventListener('resize', onResize);
    const target = refocus ? back() : null;
    if (target?.isConnected) target.focus({ preventScroll: true });
  };
  const onOutside = (ev: PointerEvent) => {
    if (!el.contains(ev.target as Node)) close(false);
  };
  const onResize = () => close(false);
  el.addEventListener('keydown', (ev) => {
    const items = opts.items.filter((b) => !b.disabled);
    const all = [...el.querySelectorAll<HTMLButtonElement>('button')];
    const i = items.indexOf(document.activeElement as HTMLButtonElement);
    const j = all.indexOf(document.activeElement as HTMLButtonElement);
    let next: number | null = null;
    switch (ev.key) {
      case 'Escape':
        ev.preventDefault();
        ev.stopPropagation();
        close(true);
        return;
      case 'Tab':
        ev.preventDefault();
        close(true);
        return;
      case 'ArrowRight':
        next = columns > 1 ? i + 1 : null;
        break;
      case 'ArrowLeft':
        next = columns > 1 ? i - 1 : null;
        break;
      case 'ArrowDown':
        next = i < 0 && j >= 0 ? 0 : i + columns;
        break;
      case 'ArrowUp':
        next = i - columns;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = items.length - 1;
        break;
      default:
        return;
    }
    ev.preventDefault();
    if (next === null || items.length === 0) return;
    const k = Math.min(items.length - 1, Math.max(0, next));
    items[k]?.focus();
  });
  el.addEventListener('click', (ev) => {
    // A chosen item closes the panel; focus returns unless the action moved it.
    if ((ev.target as Element).closest('button')) {
      queueMicrotask(() => {
        const active = document.activeElement;
        close(active === null || active === document.body || el.contains(active));
      });
    }
  });
  document.body.appendChild(el);
  place(el, opts.anchor);
  document.addEventListener('pointerdown', onOutside, true);
  window.addEventListener('resize', onResize);
  current = { close };
  opts.items.find((b) => !b.disabled)?.focus({ preventScroll: true });
  return { el, close: () => close(true) };
}

/** Matches the stylesheet's phone layout, where panels are sheets along the bottom. */
const PHONE = '(max-width: 560px)';

/** Below the anchor (above when there is no room), kept inside the window; on phones, CSS places it. */
function place(el: HTMLElement, anchor: HTMLElement): void {
  if (window.matchMedia(PHONE).matches) return;
  const r = anchor.getBoundingClientRect();
  const w = el.offsetWidth;
  const ht = el.offsetHeight;
  const margin = 8;
  let top = r.bottom + 4;
  if (top + ht > window.innerHeight - margin) top = Math.max(margin, r.top - ht - 4);
  let left = r.right - w;
  left = Math.min(window.innerWidth - w - margin, Math.max(margin, left));
  // CSSOM, not a style attribute: allowed by the CSP (no inline style attributes).
  el.style.top = `${Math.round(top)}px`;
  el.style.left = `${Math.round(left)}px`;
}
