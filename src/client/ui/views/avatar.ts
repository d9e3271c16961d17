import { h } from '../dom.js';
import { colorIndex, initials } from '../format.js';

/** Colored initials; decorative, since the name is always shown next to it. */
export function avatar(name: string, size: 'sm' | 'md' | 'lg' = 'md'): HTMLElement {
  return h(
    'span',
    { class: `avatar avatar-${size} avatar-c${colorIndex(name)}`, 'aria-hidden': 'true' },
    initials(name),
  );
}
