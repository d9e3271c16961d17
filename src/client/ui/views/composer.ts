// The message box: Enter sends, Shift+Enter adds a line, typing state is reported
// (throttled by the session), and the box grows with its content.
import type { ContentProblem } from '../../../protocol/text-rules.js';
import { h, icon, uid } from '../dom.js';

export interface ComposerOptions {
  roomName: string;
  maxLength: number;
  onSend: (text: string) => ContentProblem | null;
  onTyping: (active: boolean) => void;
  onEscape: () => void;
}

const MAX_HEIGHT = 180;

function problemText(p: ContentProblem, max: number): string {
  switch (p) {
    case 'empty':
      return 'Write something first.';
    case 'too_long':
      return `Messages can be at most ${max.toLocaleString()} characters.`;
    case 'control_chars':
      return 'The message contains characters that cannot be sent.';
  }
}

export class ComposerView {
  readonly el: HTMLFormElement;
  readonly input: HTMLTextAreaElement;
  private readonly error: HTMLElement;
  private readonly counter: HTMLElement;
  private readonly sendBtn: HTMLButtonElement;

  constructor(private readonly opts: ComposerOptions) {
    const inputId = uid('composer');
    const hintId = `${inputId}-hint`;
    const errorId = `${inputId}-error`;
    this.input = h('textarea', {
      id: inputId,
      class: 'composer-input',
      rows: '1',
      placeholder: `Message ${opts.roomName}`,
      'aria-describedby': `${hintId} ${errorId}`,
      autocomplete: 'off',
      'data-testid': 'message-input',
      on: {
        keydown: (ev) => this.onKeyDown(ev),
        input: () => this.onInput(),
        blur: () => this.opts.onTyping(false),
      },
    });
    this.sendBtn = h(
      'button',
      {
        type: 'submit',
        class: 'send-btn',
        'aria-label': 'Send message',
        'data-testid': 'send-button',
      },
      icon('send'),
    );
    this.error = h('p', { id: errorId, class: 'field-error composer-error', role: 'alert' });
    this.counter = h('span', { class: 'composer-counter', 'aria-live': 'polite' });
    this.el = h(
      'form',
      {
        class: 'composer',
        'data-testid': 'composer',
        on: {
          submit: (ev) => {
            ev.preventDefault();
            this.submit();
          },
        },
      },
      h('label', { for: inputId, class: 'visually-hidden' }, `Message ${opts.roomName}`),
      h('div', { class: 'composer-box' }, this.input, this.sendBtn),
      h(
        'div',
        { class: 'composer-foot' },
        h(
          'span',
          { id: hintId, class: 'composer-hint' },
          h('kbd', null, 'Enter'),
          ' to send · ',
          h('kbd', null, 'Shift'),
          '+',
          h('kbd', null, 'Enter'),
          ' for a new line',
        ),
        this.counter,
      ),
      this.error,
    );
    this.refresh();
  }

  focus(): void {
    this.input.focus();
  }

  setRoomName(name: string): void {
    this.input.placeholder = `Message ${name}`;
    const label = this.el.querySelector('label');
    if (label) label.textContent = `Message ${name}`;
  }

  setDisabled(disabled: boolean): void {
    this.input.disabled = disabled;
    this.sendBtn.disabled = disabled;
    if (disabled) this.opts.onTyping(false);
  }

  private submit(): void {
    const problem = this.opts.onSend(this.input.value);
    if (problem) {
      this.showError(problemText(problem, this.opts.maxLength));
      return;
    }
    this.input.value = '';
    this.showError('');
    this.refresh();
    this.input.focus();
  }

  private onKeyDown(ev: KeyboardEvent): void {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && !ev.altKey) {
      ev.preventDefault();
      this.submit();
    } else if (ev.key === 'Escape') {
      this.showError('');
      this.opts.onTyping(false);
      this.opts.onEscape();
    }
  }

  private onInput(): void {
    if (this.error.textContent) this.showError('');
    this.refresh();
    this.opts.onTyping(this.input.value.trim() !== '');
  }

  private refresh(): void {
    // Grow with the content up to MAX_HEIGHT, then scroll inside.
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, MAX_HEIGHT)}px`;
    const len = this.input.value.length;
    const max = this.opts.maxLength;
    const near = len > max * 0.9;
    this.counter.textContent = near ? `${len.toLocaleString()} / ${max.toLocaleString()}` : '';
    this.counter.classList.toggle('over', len > max);
    this.sendBtn.classList.toggle('ready', this.input.value.trim() !== '');
  }

  private showError(text: string): void {
    this.error.textContent = text;
    this.input.setAttribute('aria-invalid', text ? 'true' : 'false');
  }
}
