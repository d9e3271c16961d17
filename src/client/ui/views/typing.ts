import { typingText } from '../../typing-tracker.js';
import { h, setChildren } from '../dom.js';

/** "Alice is typing…" above the composer; the row keeps its height when empty. */
export class TypingView {
  readonly el: HTMLElement;

  constructor() {
    this.el = h('div', { class: 'typing', 'data-testid': 'typing-indicator' });
  }

  update(names: readonly string[]): void {
    const text = typingText(names);
    this.el.classList.toggle('typing-on', text !== '');
    if (text === '') {
      setChildren(this.el);
      return;
    }
    setChildren(
      this.el,
      h('span', { class: 'typing-dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')),
      h('span', { class: 'typing-text' }, text),
    );
  }
}
