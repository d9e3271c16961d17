// A small reaction picker: a dozen common emoji in a grid, reachable with the
// keyboard (arrow keys move, Enter picks, Escape closes; focus returns to what
// opened it). Ones the reader already used are marked checked, and picking one
// takes it back.
import { h } from '../dom.js';
import { openPopover } from './popover.js';

/** The emoji offered, with their names for screen readers. */
export const COMMON_EMOJI: readonly { emoji: string; name: string }[] = [
  { emoji: '👍', name: 'thumbs up' },
  { emoji: '❤️', name: 'red heart' },
  { emoji: '😂', name: 'face with tears of joy' },
  { emoji: '🎉', name: 'party popper' },
  { emoji: '😮', name: 'surprised' },
  { emoji: '😢', name: 'crying face' },
  { emoji: '🙏', name: 'folded hands' },
  { emoji: '👀', name: 'eyes' },
  { emoji: '🔥', name: 'fire' },
  { emoji: '✅', name: 'check mark' },
  { emoji: '👏', name: 'clapping hands' },
  { emoji: '🤔', name: 'thinking face' },
];

export interface EmojiPickerOptions {
  anchor: HTMLElement;
  returnFocus?: () => HTMLElement | null | undefined;
  /** Emoji the reader already reacted with. */
  mine: ReadonlySet<string>;
  /** `on`: add the reaction; false: take it back. */
  onPick: (emoji: string, on: boolean) => void;
}

export function openEmojiPicker(opts: EmojiPickerOptions): void {
  const items = COMMON_EMOJI.map(({ emoji, name }) => {
    const on = opts.mine.has(emoji);
    return h(
      'button',
      {
        type: 'button',
        class: 'emoji-option',
        role: 'menuitemcheckbox',
        'aria-checked': String(on),
        'aria-label': name,
        title: name,
        'data-testid': 'emoji-option',
        'data-emoji': emoji,
        on: { click: () => opts.onPick(emoji, !on) },
      },
      emoji,
    );
  });
  openPopover({
    label: 'Add a reaction',
    anchor: opts.anchor,
    returnFocus: opts.returnFocus,
    items,
    columns: 6,
    role: 'menu',
    class: 'emoji-picker',
    testid: 'emoji-picker',
  });
}
