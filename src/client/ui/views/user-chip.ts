import { h, icon } from '../dom.js';
import { avatar } from './avatar.js';

/** The signed-in name with a button to change it. */
export function userChip(username: string, onChange: () => void, compact = false): HTMLElement {
  return h(
    'button',
    {
      type: 'button',
      class: `user-chip${compact ? ' user-chip-compact' : ''}`,
      'data-testid': 'user-chip',
      title: 'Change name',
      on: { click: onChange },
    },
    avatar(username, 'sm'),
    h('span', { class: 'user-chip-name' }, username),
    icon('edit', 'user-chip-edit'),
    // The name is the visible text, then what the button does (voice control says what it sees).
    h('span', { class: 'visually-hidden' }, ': change name'),
  );
}
