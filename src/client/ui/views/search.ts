// The search dialog: a query box (Ctrl/Cmd+K or "/" anywhere), results newest
// first with the matched words marked, and "more" paging. Choosing a result
// opens its room at that message. Matched ranges come from the server as numbers;
// the marks are built here as elements around text nodes, never from markup.
import type { SearchResponse, SearchResult } from '../../../protocol/search.js';
import { type Api, ApiError } from '../../api.js';
import { h, icon, setChildren, uid } from '../dom.js';
import { formatFull, parseTimestamp } from '../format.js';
import { avatar } from './avatar.js';

/** Characters shown before the first match of a long message. */
const LEAD = 60;
const DEBOUNCE_MS = 250;

/** `content` as text nodes and <mark> elements for the [start, end) `ranges`. */
export function markedText(content: string, ranges: readonly (readonly number[])[]): Node[] {
  let cut = 0;
  const first = ranges[0]?.[0] ?? 0;
  if (first > LEAD * 2) cut = first - LEAD;
  // Never split a surrogate pair.
  if (cut > 0 && /[\uDC00-\uDFFF]/.test(content[cut] ?? '')) cut--;
  const out: Node[] = [];
  if (cut > 0) out.push(document.createTextNode('…'));
  let at = cut;
  for (const [s = 0, e = 0] of ranges) {
    const start = Math.max(at, Math.min(s, content.length));
    const end = Math.max(start, Math.min(e, content.length));
    if (end <= start) continue;
    if (start > at) out.push(document.createTextNode(content.slice(at, start)));
    out.push(h('mark', { class: 'search-mark' }, content.slice(start, end)));
    at = end;
  }
  if (at < content.length) out.push(document.createTextNode(content.slice(at)));
  return out;
}

/** The header's magnifier that opens the search dialog (the lobby's and a room's). */
export function searchButton(open: () => void): HTMLElement {
  return h(
    'button',
    {
      type: 'button',
      class: 'icon-btn search-open',
      'aria-label': 'Search messages (/)',
      title: 'Search messages (/ or Ctrl+Shift+F)',
      'data-testid': 'search-open',
      on: { click: open },
    },
    icon('search'),
  );
}

export interface SearchDialogOptions {
  api: Api;
  /** Opens the room at the message; the dialog closes itself first. */
  onChoose: (result: SearchResult) => void;
}

export class SearchDialog {
  private readonly dialog: HTMLDialogElement;
  private readonly input: HTMLInputElement;
  private readonly list: HTMLElement;
  private readonly status: HTMLElement;
  private readonly more: HTMLButtonElement;
  private results: SearchResult[] = [];
  private next: string | null = null;
  private query = '';
  private gen = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private opener: HTMLElement | null = null;

  constructor(private readonly opts: SearchDialogOptions) {
    const titleId = uid('search-title');
    const listId = uid('search-results');
    const hintId = uid('search-hint');
    this.input = h('input', {
      type: 'search',
      class: 'search-input',
      placeholder: 'Search messages',
      'aria-labelledby': titleId,
      'aria-describedby': hintId,
      'aria-controls': listId,
      autocomplete: 'off',
      spellcheck: 'false',
      enterkeyhint: 'search',
      maxlength: '500',
      'data-testid': 'search-input',
      on: {
        input: () => this.schedule(),
        keydown: (ev) => this.onInputKey(ev),
      },
    });
    this.status = h('p', {
      class: 'search-status',
      role: 'status',
      'aria-live': 'polite',
      'data-testid': 'search-status',
    });
    this.list = h('ul', {
      id: listId,
      class: 'search-results',
      'aria-label': 'Search results',
      'data-testid': 'search-results',
      on: { keydown: (ev) => this.onListKey(ev) },
    });
    this.more = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-ghost btn-small search-more',
        hidden: true,
        'data-testid': 'search-more',
        on: { click: () => void this.run(false) },
      },
      'More results',
    );
    const close = h(
      'button',
      {
        type: 'button',
        class: 'icon-btn search-close',
        'aria-label': 'Close search',
        on: { click: () => this.close() },
      },
      icon('close'),
    );
    this.dialog = h(
      'dialog',
      { class: 'dialog search-dialog', 'aria-labelledby': titleId, 'data-testid': 'search-dialog' },
      // A visible title: it labels the field too (a label only screen readers get is not enough).
      h('h2', { id: titleId, class: 'search-title' }, 'Search messages'),
      h(
        'div',
        { class: 'search-head' },
        h('span', { class: 'search-icon', 'aria-hidden': 'true' }, icon('search')),
        this.input,
        close,
      ),
      h(
        'p',
        { id: hintId, class: 'search-hint' },
        'Words, "exact phrase", -exclude, from:name, in:room, after:2024-01-31, before:2024-02-01',
      ),
      this.status,
      h('div', { class: 'search-body' }, this.list, this.more),
    );
    this.dialog.addEventListener('click', (ev) => {
      if (ev.target === this.dialog) this.close();
    });
    this.dialog.addEventListener('close', () => {
      if (this.opener?.isConnected) this.opener.focus();
      this.opener = null;
    });
  }

  get isOpen(): boolean {
    return this.dialog.open;
  }

  open(): void {
    if (this.dialog.open) {
      this.input.select();
      return;
    }
    this.opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!this.dialog.isConnected) document.body.appendChild(this.dialog);
    this.dialog.showModal();
    this.input.focus();
    this.input.select();
  }

  close(): void {
    clearTimeout(this.timer);
    if (this.dialog.open) this.dialog.close();
  }

  destroy(): void {
    this.close();
    this.dialog.remove();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(true), DEBOUNCE_MS);
  }

  private onInputKey(ev: KeyboardEvent): void {
    // A search field's own Escape only clears it; here it closes, like the dialog's.
    if (ev.key === 'Escape') {
      ev.preventDefault();
      this.close();
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      clearTimeout(this.timer);
      if (this.input.value.trim() !== this.query || this.results.length === 0) void this.run(true);
      else this.focusResult(0);
    } else if (ev.key === 'ArrowDown') {
      ev.preventDefault();
      this.focusResult(0);
    }
  }

  private onListKey(ev: KeyboardEvent): void {
    const buttons = [...this.list.querySelectorAll<HTMLButtonElement>('.search-result')];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (ev.key === 'ArrowDown' && i >= 0) {
      ev.preventDefault();
      buttons[Math.min(i + 1, buttons.length - 1)]?.focus();
    } else if (ev.key === 'ArrowUp' && i >= 0) {
      ev.preventDefault();
      if (i === 0) this.input.focus();
      else buttons[i - 1]?.focus();
    }
  }

  private focusResult(i: number): void {
    this.list.querySelectorAll<HTMLButtonElement>('.search-result')[i]?.focus();
  }

  /** Runs the query (fresh: from the first page; else the next page). */
  private async run(fresh: boolean): Promise<void> {
    const q = this.input.value.trim();
    if (fresh) {
      this.query = q;
      this.results = [];
      this.next = null;
      if (q === '') {
        this.render('');
        return;
      }
    }
    const gen = ++this.gen;
    this.dialog.setAttribute('aria-busy', 'true');
    this.status.textContent = fresh ? 'Searching…' : 'Loading more…';
    let page: SearchResponse;
    try {
      page = await this.opts.api.search(this.query, {
        limit: 20,
        before: fresh ? undefined : (this.next ?? undefined),
      });
    } catch (err) {
      if (gen !== this.gen) return;
      this.dialog.removeAttribute('aria-busy');
      const text = err instanceof ApiError ? err.message : 'Search failed';
      this.render(text, true);
      return;
    }
    if (gen !== this.gen) return;
    this.dialog.removeAttribute('aria-busy');
    this.results.push(...page.results);
    this.next = page.next;
    const n = this.results.length;
    this.render(
      n === 0
        ? `No messages match “${this.query}”.`
        : `${n}${page.next ? '+' : ''} result${n === 1 ? '' : 's'}`,
    );
  }

  private render(statusText: string, problem = false): void {
    this.status.textContent = statusText;
    this.status.classList.toggle('search-problem', problem);
    setChildren(
      this.list,
      this.results.map((r) => h('li', null, this.resultEl(r))),
    );
    this.more.hidden = this.next === null;
  }

  private resultEl(r: SearchResult): HTMLElement {
    const at = parseTimestamp(r.message.timestamp);
    return h(
      'button',
      {
        type: 'button',
        class: 'search-result',
        'data-testid': 'search-result',
        'data-room-id': r.room.id,
        'data-seq': String(r.message.seq),
        on: {
          click: () => {
            this.close();
            this.opts.onChoose(r);
          },
        },
      },
      avatar(r.message.username),
      h(
        'span',
        { class: 'search-result-main' },
        h(
          'span',
          { class: 'search-result-head' },
          h('span', { class: 'search-result-author' }, r.message.username),
          h('span', { class: 'search-result-room' }, `# ${r.room.name}`),
          h('time', { class: 'search-result-time', datetime: at.toISOString() }, formatFull(at)),
        ),
        h(
          'span',
          { class: 'search-result-text', 'data-testid': 'search-result-text' },
          markedText(r.message.content, r.highlights),
        ),
      ),
    );
  }
}
