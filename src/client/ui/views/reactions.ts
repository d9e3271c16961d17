// The reactions under a message: one chip per emoji with its count, the reader's
// own highlighted (aria-pressed); a click or Enter toggles ours. Who reacted is in
// the chip's tooltip and accessible description, one hover or focus away.
import type { Reaction } from '../../../protocol/changes.js';
import { h, icon } from '../dom.js';

export interface ReactionRowOptions {
  me: string;
  /** Adds (`on`) or takes back our reaction; absent: the chips only show (a read-only list). */
  toggle?: (emoji: string, on: boolean) => void;
  /** Opens the picker next to the row's add button; absent: no add button. */
  add?: (anchor: HTMLElement) => void;
}

/** "alice, bob and 3 others" (the names in the order they reacted, "you" for the reader). */
export function whoReacted(users: readonly string[], me: string): string {
  const names = users.map((u) => (u === me ? 'you' : u));
  if (names.length <= 1) return names[0] ?? '';
  const shown = names.length > 6 ? names.slice(0, 5) : names.slice(0, -1);
  const rest = names.length > 6 ? `${names.length - 5} others` : names[names.length - 1];
  return `${shown.join(', ')} and ${rest}`;
}

export function reactionRow(
  reactions: readonly Reaction[],
  opts: ReactionRowOptions,
): HTMLElement | null {
  if (reactions.length === 0) return null;
  const row = h('div', { class: 'reactions', 'data-testid': 'reactions' });
  for (const r of reactions) {
    const mine = r.users.includes(opts.me);
    const who = `${whoReacted(r.users, opts.me)} reacted with ${r.emoji}`;
    const parts = [
      h('span', { class: 'reaction-emoji', 'aria-hidden': 'true' }, r.emoji),
      h('span', { class: 'reaction-count', 'data-testid': 'reaction-count' }, String(r.count)),
    ];
    const toggle = opts.toggle;
    const chip = toggle
      ? h(
          'button',
          {
            type: 'button',
            class: `reaction${mine ? ' reaction-mine' : ''}`,
            'aria-pressed': String(mine),
            'aria-label': `${r.emoji} ${r.count}`,
            'aria-description': `${who}. ${mine ? 'Press to take yours back' : 'Press to add yours'}`,
            title: who,
            'data-testid': 'reaction',
            'data-emoji': r.emoji,
            on: {
              click: (ev) => {
                ev.stopPropagation();
                toggle(r.emoji, !mine);
              },
            },
          },
          parts,
        )
      : h(
          'span',
          {
            class: `reaction reaction-static${mine ? ' reaction-mine' : ''}`,
            role: 'img',
            'aria-label': `${r.emoji} ${r.count}: ${who}`,
            title: who,
            'data-testid': 'reaction',
            'data-emoji': r.emoji,
          },
          parts,
        );
    row.appendChild(chip);
  }
  if (opts.add) {
    const add = opts.add;
    const btn = h(
      'button',
      {
        type: 'button',
        class: 'reaction reaction-add',
        'aria-label': 'Add reaction',
        title: 'Add reaction',
        'data-testid': 'reaction-add',
        on: {
          click: (ev) => {
            ev.stopPropagation();
            add(btn);
          },
        },
      },
      icon('smile'),
      h('span', { 'aria-hidden': 'true' }, '+'),
    );
    row.appendChild(btn);
  }
  return row;
}
