// `@name` completion in the message box: typing `@` and a few letters lists the
// room's people whose names start so (or contain it); arrows move, Enter or Tab
// puts `@name ` in, Escape closes. The ARIA combobox pattern, as far as a textarea
// allows it (no role or aria-expanded on a textarea): the field controls the
// listbox, `aria-activedescendant` names the active option, and a live line says
// how many names match.
import { h, setChildren, uid } from '../dom.js';

/** Names complete without spaces (see protocol/mentions.ts): a name with one cannot be mentioned. */
const QUERY = /(^|[\s([{"'“‘>])@([\p{L}\p{N}_][\p{L}\p{N}_.-]*)?$/u;
const MAX_SHOWN = 8;

export class MentionCompleter {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly status: HTMLElement;
  private readonly listId = uid('mentions');
  private shown: string[] = [];
  private active = 0;
  /** Where the `@` of the name being typed sits, or -1 while closed. */
  private at = -1;

  constructor(
    private readonly input: HTMLTextAreaElement,
    private readonly candidates: () => readonly string[],
  ) {
    this.list = h('ul', {
      id: this.listId,
      role: 'listbox',
      class: 'mention-list',
      'aria-label': 'People to mention',
      'data-testid': 'mention-list',
      hidden: true,
    });
    this.status = h('span', { class: 'visually-hidden', 'aria-live': 'polite' });
    this.el = h('div', { class: 'mention-completer' }, this.list, this.status);
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', this.listId);
    // Capture: ahead of the composer's own Enter (send) while the list is open.
    input.addEventListener('keydown', (ev) => this.onKey(ev), { capture: true });
    input.addEventListener('input', () => this.update());
    input.addEventListener('blur', () => this.close());
    input.addEventListener('click', () => this.update());
  }

  get open(): boolean {
    return this.at >= 0;
  }

  private update(): void {
    const upto = this.input.value.slice(0, this.input.selectionStart ?? this.input.value.length);
    const m = QUERY.exec(upto);
    if (!m) {
      this.close();
      return;
    }
    const typed = (m[2] ?? '').toLowerCase();
    const me = new Set<string>();
    const starts: string[] = [];
    const contains: string[] = [];
    for (const name of this.candidates()) {
      const key = name.toLowerCase();
      if (me.has(key) || /\s/.test(name)) continue;
      me.add(key);
      if (key.startsWith(typed)) starts.push(name);
      else if (typed !== '' && key.includes(typed)) contains.push(name);
    }
    const byName = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'base' });
    this.shown = [...starts.sort(byName), ...contains.sort(byName)].slice(0, MAX_SHOWN);
    if (this.shown.length === 0) {
      this.close();
      return;
    }
    this.at = upto.length - (m[2] ?? '').length - 1;
    if (this.active >= this.shown.length) this.active = 0;
    this.render();
    this.status.textContent = `${this.shown.length} ${this.shown.length === 1 ? 'name' : 'names'}, arrows to choose, Enter to insert`;
  }

  private render(): void {
    setChildren(
      this.list,
      this.shown.map((name, i) =>
        h(
          'li',
          {
            id: `${this.listId}-${i}`,
            role: 'option',
            class: 'mention-option',
            'aria-selected': String(i === this.active),
            'data-testid': 'mention-option',
            on: {
              mousedown: (ev) => ev.preventDefault(),
              click: () => this.choose(name),
            },
          },
          `@${name}`,
        ),
      ),
    );
    this.list.hidden = false;
    this.input.setAttribute('aria-activedescendant', `${this.listId}-${this.active}`);
  }

  private close(): void {
    if (this.at < 0 && this.list.hidden) return;
    this.at = -1;
    this.active = 0;
    this.list.hidden = true;
    this.input.removeAttribute('aria-activedescendant');
    this.status.textContent = '';
  }

  private choose(name: string): void {
    const v = this.input.value;
    const end = this.input.selectionStart ?? v.length;
    const before = `${v.slice(0, this.at)}@${name} `;
    this.input.value = before + v.slice(end).replace(/^\s/, '');
    this.input.setSelectionRange(before.length, before.length);
    this.close();
    this.input.dispatchEvent(new Event('input', { bubbles: true }));
  }

  private onKey(ev: KeyboardEvent): void {
    if (!this.open || ev.isComposing) return;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      const n = this.shown.length;
      this.active = (this.active + (ev.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.render();
    } else if (ev.key === 'Enter' || ev.key === 'Tab') {
      const name = this.shown[this.active];
      if (!name) return;
      ev.preventDefault();
      ev.stopImmediatePropagation();
      this.choose(name);
    } else if (ev.key === 'Escape') {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      this.close();
    }
  }
}
