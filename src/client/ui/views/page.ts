// Building blocks of the account and administration pages: the page frame (top bar
// with the way back to the rooms), a titled card, and a read-only field with a
// Copy button for invite links and new API tokens.
import { type Child, h, icon, uid } from '../dom.js';
import { brand } from './brand.js';
import { toast } from './toast.js';

export function pageFrame(opts: {
  title: string;
  lead: string;
  testid: string;
  menu: HTMLElement;
  content: Child;
}): HTMLElement {
  return h(
    'div',
    { class: 'screen lobby settings-page', 'data-testid': opts.testid },
    h(
      'header',
      { class: 'topbar' },
      h('a', { href: '#/', class: 'brand-link', 'aria-label': 'Parley home' }, brand()),
      h(
        'a',
        { href: '#/', class: 'back-link page-back', 'data-testid': 'back-to-rooms' },
        icon('back'),
        h('span', { class: 'back-text' }, 'Rooms'),
      ),
      h('div', { class: 'topbar-actions' }, opts.menu),
    ),
    h(
      'main',
      { class: 'lobby-main' },
      h(
        'section',
        { class: 'lobby-hero' },
        h(
          'div',
          { class: 'lobby-hero-text' },
          h('h1', { class: 'lobby-title', tabindex: '-1' }, opts.title),
          h('p', { class: 'lobby-lead' }, opts.lead),
        ),
      ),
      opts.content,
    ),
  );
}

/** A card with a heading (h2) and an optional line under it. */
export function section(opts: {
  title: string;
  lead?: string;
  testid: string;
  head?: Child;
  content: Child;
}): HTMLElement {
  const id = uid('section');
  return h(
    'section',
    { class: 'card settings-card', 'aria-labelledby': id, 'data-testid': opts.testid },
    h(
      'div',
      { class: 'settings-head' },
      h(
        'div',
        null,
        h('h2', { id, class: 'card-title' }, opts.title),
        opts.lead ? h('p', { class: 'settings-lead' }, opts.lead) : null,
      ),
      opts.head,
    ),
    h('div', { class: 'settings-body' }, opts.content),
  );
}

async function copyText(text: string, input: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (plain HTTP on another host) or no permission: the old way.
    input.focus();
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

/** A read-only value with a Copy button. */
export function copyField(opts: { label: string; value: string; testid: string }): HTMLElement {
  const id = uid('copy');
  const input = h('input', {
    id,
    type: 'text',
    class: 'input input-mono',
    readonly: true,
    value: opts.value,
    'data-testid': opts.testid,
    on: { focus: () => input.select() },
  });
  const label = h('span', null, 'Copy');
  const button = h(
    'button',
    {
      type: 'button',
      class: 'btn',
      'data-testid': `${opts.testid}-copy`,
      'aria-label': `Copy ${opts.label.toLocaleLowerCase()}`,
      on: {
        click: () => {
          void copyText(opts.value, input).then((ok) => {
            if (ok) {
              label.textContent = 'Copied';
              setTimeout(() => {
                label.textContent = 'Copy';
              }, 2_000);
            } else {
              toast('Could not copy. Select the text and copy it by hand.');
            }
          });
        },
      },
    },
    icon('copy'),
    label,
  );
  return h(
    'div',
    { class: 'copy-field' },
    h('label', { for: id, class: 'label' }, opts.label),
    h('div', { class: 'create-row' }, input, button),
  );
}
