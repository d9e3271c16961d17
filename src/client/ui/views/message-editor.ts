// Editing a message in place: its text in a box where it stood; Enter saves,
// Shift+Enter adds a line, Escape (or Cancel) leaves it as it was.
import type { ContentProblem } from '../../../protocol/text-rules.js';
import { h, uid } from '../dom.js';

const MAX_HEIGHT = 240;

export interface MessageEditorOptions {
  messageId: string;
  initial: string;
  /** Saves the new text; returns why it cannot be saved, or null. */
  onSave: (text: string) => ContentProblem | null;
  onCancel: () => void;
}

export class MessageEditor {
  readonly el: HTMLElement;
  readonly input: HTMLTextAreaElement;
  readonly messageId: string;
  private readonly error: HTMLElement;

  constructor(private readonly opts: MessageEditorOptions) {
    this.messageId = opts.messageId;
    const id = uid('edit');
    this.error = h('p', { id: `${id}-error`, class: 'field-error', role: 'alert' });
    this.input = h('textarea', {
      id,
      class: 'msg-edit-input',
      rows: '1',
      'aria-label': 'Edit message',
      'aria-describedby': `${id}-hint ${id}-error`,
      'data-testid': 'edit-input',
      on: {
        keydown: (ev) => this.onKey(ev),
        input: () => this.grow(),
      },
    });
    this.input.value = opts.initial;
    this.el = h(
      'div',
      { class: 'msg-edit', 'data-testid': 'message-editor' },
      this.input,
      h(
        'div',
        { class: 'msg-edit-foot' },
        h(
          'span',
          { id: `${id}-hint`, class: 'composer-hint' },
          h('kbd', null, 'Enter'),
          ' to save · ',
          h('kbd', null, 'Esc'),
          ' to cancel',
        ),
        h(
          'span',
          { class: 'msg-edit-buttons' },
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-ghost btn-small',
              'data-testid': 'edit-cancel',
              on: { click: () => this.opts.onCancel() },
            },
            'Cancel',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-primary btn-small',
              'data-testid': 'edit-save',
              on: { click: () => this.save() },
            },
            'Save',
          ),
        ),
      ),
      this.error,
    );
  }

  /** Focuses the box with the cursor at the end. */
  focus(): void {
    this.input.focus({ preventScroll: true });
    const end = this.input.value.length;
    this.input.setSelectionRange(end, end);
    this.grow();
  }

  private save(): void {
    const problem = this.opts.onSave(this.input.value);
    if (problem === 'empty')
      this.error.textContent = 'A message cannot be empty; delete it instead.';
    else if (problem === 'too_long') this.error.textContent = 'That is too long.';
    else if (problem) this.error.textContent = 'The text contains characters that cannot be sent.';
  }

  private onKey(ev: KeyboardEvent): void {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && !ev.altKey) {
      ev.preventDefault();
      this.save();
    } else if (ev.key === 'Escape') {
      ev.preventDefault();
      ev.stopPropagation();
      this.opts.onCancel();
    }
  }

  private grow(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, MAX_HEIGHT)}px`;
  }
}
