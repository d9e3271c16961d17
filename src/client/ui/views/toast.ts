import { h } from '../dom.js';

let host: HTMLElement | null = null;

/** A short message at the bottom of the screen that goes away by itself. */
export function toast(text: string, kind: 'info' | 'error' = 'error'): void {
  if (!host?.isConnected) {
    host = h('div', { class: 'toasts', 'data-testid': 'toasts' });
    document.body.appendChild(host);
  }
  const el = h('div', { class: `toast toast-${kind}`, role: 'status' }, text);
  host.appendChild(el);
  while (host.childElementCount > 3) host.firstElementChild?.remove();
  setTimeout(() => {
    el.classList.add('toast-out');
    setTimeout(() => el.remove(), 300);
  }, 5_000);
}
