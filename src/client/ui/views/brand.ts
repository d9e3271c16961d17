import { h, icon } from '../dom.js';

export function brand(large = false): HTMLElement {
  return h(
    'div',
    { class: `brand${large ? ' brand-lg' : ''}` },
    h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, icon('chat')),
    h('span', { class: 'brand-name' }, 'Parley'),
  );
}
