// The message box: Enter sends, Shift+Enter adds a line, Up in an empty box edits
// our last message, a reply shows "Replying to X" above it; typing state is reported
// (throttled by the session), and the box grows with its content. Files are
// attached by the button, by pasting, or by dropping them (see addFiles), upload
// at once, and go with the next message.
import type { AttachmentInfo } from '../../../protocol/attachment-text.js';
import type { ReplyPreview } from '../../../protocol/changes.js';
import type { ContentProblem } from '../../../protocol/text-rules.js';
import { h, icon, setChildren, uid } from '../dom.js';
import { AttachmentTray } from './attachment-tray.js';
import { MentionCompleter } from './mention-completer.js';

export interface ComposerOptions {
  roomName: string;
  roomId: string;
  maxLength: number;
  /** Most files in one message. */
  maxAttachments: number;
  onSend: (
    text: string,
    attachments: AttachmentInfo[],
    replyTo: ReplyPreview | undefined,
  ) => ContentProblem | null;
  onTyping: (active: boolean) => void;
  onEscape: () => void;
  /** Names `@` completes (the room's people); none: no completion. */
  mentionNames?: () => readonly string[];
  /** Up in an empty composer: edit the reader's last message; false when there is none. */
  onEditLast?: () => boolean;
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
  private readonly attachBtn: HTMLButtonElement;
  private readonly fileInput: HTMLInputElement;
  private readonly tray: AttachmentTray;
  /** Polite announcements about files (uploaded, failed, removed). */
  private readonly fileStatus: HTMLElement;
  /** "Replying to X", above the box while the next message answers one. */
  private readonly replyBar: HTMLElement;
  private reply: ReplyPreview | undefined;

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
        paste: (ev) => this.onPaste(ev),
      },
    });
    this.fileStatus = h('span', { class: 'visually-hidden', 'aria-live': 'polite' });
    this.tray = new AttachmentTray({
      roomId: opts.roomId,
      max: opts.maxAttachments,
      onChange: (announce) => {
        if (announce) this.fileStatus.textContent = announce;
        if (this.error.textContent && !this.tray.busy) this.showError('');
        this.refresh();
      },
    });
    this.fileInput = h('input', {
      type: 'file',
      multiple: true,
      hidden: true,
      tabindex: '-1',
      'data-testid': 'file-input',
      on: {
        change: () => {
          this.addFiles([...(this.fileInput.files ?? [])]);
          this.fileInput.value = '';
        },
      },
    });
    this.attachBtn = h(
      'button',
      {
        type: 'button',
        class: 'attach-btn',
        'aria-label': 'Attach files',
        title: 'Attach files (or paste, or drop them here)',
        'data-testid': 'attach-button',
        on: { click: () => this.fileInput.click() },
      },
      icon('clip'),
    );
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
    this.replyBar = h('div', { class: 'composer-reply', hidden: true, 'data-testid': 'reply-bar' });
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
      opts.mentionNames ? new MentionCompleter(this.input, opts.mentionNames).el : null,
      this.replyBar,
      this.tray.el,
      h('div', { class: 'composer-box' }, this.attachBtn, this.fileInput, this.input, this.sendBtn),
      this.fileStatus,
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

  /** The next message answers `preview` (null: it answers none). */
  setReply(preview: ReplyPreview | null): void {
    this.reply = preview ?? undefined;
    if (!preview) {
      this.replyBar.hidden = true;
      setChildren(this.replyBar);
      return;
    }
    setChildren(
      this.replyBar,
      h(
        'div',
        { class: 'composer-reply-text' },
        h(
          'span',
          { class: 'composer-reply-label' },
          'Replying to ',
          h('strong', null, preview.username),
        ),
        h('span', { class: 'composer-reply-excerpt' }, preview.excerpt),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'icon-btn composer-reply-cancel',
          'aria-label': `Cancel reply to ${preview.username}`,
          title: 'Cancel reply (Esc)',
          'data-testid': 'reply-cancel',
          on: {
            click: () => {
              this.setReply(null);
              this.input.focus();
            },
          },
        },
        icon('close'),
      ),
    );
    this.replyBar.hidden = false;
    this.input.focus();
  }

  setDisabled(disabled: boolean): void {
    this.input.disabled = disabled;
    this.sendBtn.disabled = disabled;
    this.attachBtn.disabled = disabled;
    if (disabled) this.opts.onTyping(false);
  }

  /** Attaches files (from the button, a paste, or a drop anywhere on the room). */
  addFiles(files: readonly File[]): void {
    if (files.length === 0 || this.input.disabled) return;
    this.tray.add(files);
    this.input.focus();
  }

  private onPaste(ev: ClipboardEvent): void {
    const data = ev.clipboardData;
    const files = data ? [...data.files] : [];
    if (files.length === 0) return;
    // A screenshot: attach it. Text copied beside a file (a web page) still pastes.
    if (!data?.types.includes('text/plain')) ev.preventDefault();
    this.addFiles(files);
  }

  private submit(): void {
    if (this.tray.busy) {
      this.showError('Wait for the files to finish uploading, or cancel them.');
      return;
    }
    const files = this.tray.files;
    const problem = this.opts.onSend(this.input.value, files, this.reply);
    if (problem) {
      this.showError(problemText(problem, this.opts.maxLength));
      return;
    }
    this.input.value = '';
    this.setReply(null);
    this.tray.clear();
    this.showError('');
    this.refresh();
    this.input.focus();
  }

  private onKeyDown(ev: KeyboardEvent): void {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && !ev.altKey) {
      ev.preventDefault();
      this.submit();
    } else if (
      ev.key === 'ArrowUp' &&
      this.input.value === '' &&
      !ev.shiftKey &&
      !ev.altKey &&
      !ev.ctrlKey &&
      !ev.metaKey &&
      this.opts.onEditLast?.()
    ) {
      ev.preventDefault();
    } else if (ev.key === 'Escape' && this.reply) {
      ev.preventDefault();
      this.setReply(null);
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
    const files = this.tray?.files.length ?? 0;
    this.sendBtn.classList.toggle('ready', this.input.value.trim() !== '' || files > 0);
  }

  private showError(text: string): void {
    this.error.textContent = text;
    this.input.setAttribute('aria-invalid', text ? 'true' : 'false');
  }
}
