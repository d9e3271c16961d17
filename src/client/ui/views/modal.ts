// A modal <dialog> with a title, a body and a close button, for the small dialogs
// of accounts mode (rename, members, new direct message). Like confirmDialog: focus
// moves in and is trapped, Escape or a click on the backdrop closes, and focus
// returns to whatever opened it.
import { type Child, h, icon, uid } from '../dom.js';

export interface Modal {
  readonly dialog: HTMLDialogElement;
  readonly body: HTMLElement;
  close(): void;
}

export function openModal(opts: {
  title: string;
  description?: string;
  testid: string;
  wide?: boolean;
  content: Child;
  onClose?: () => void;
}): Modal {
  const titleId = uid('modal-title');
  const descId = `${titleId}-desc`;
  const body = h('div', { class: 'modal-body' }, opts.content);
  const dialog = h(
    'dialog',
    {
      class: `dialog${opts.wide ? ' dialog-wide' : ''}`,
      'aria-labelledby': titleId,
      'aria-describedby': opts.description ? descId : null,
      'data-testid': opts.testid,
    },
    h(
      'div',
      { class: 'dialog-form' },
      h(
        'div',
        { class: 'modal-head' },
        h('h2', { id: titleId, class: 'dialog-title' }, opts.title),
        h(
          'button',
          {
            type: 'button',
            class: 'icon-btn',
            'aria-label': 'Close',
            'data-testid': 'modal-close',
            on: { click: () => dialog.close() },
          },
          icon('close'),
        ),
      ),
      opts.description ? h('p', { id: descId, class: 'dialog-body' }, opts.description) : null,
      body,
    ),
  );
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  dialog.addEventListener('close', () => {
    dialog.remove();
    opts.onClose?.();
    if (opener?.isConnected) opener.focus();
  });
  dialog.addEventListener('click', (ev) => {
    if (ev.target === dialog) dialog.close();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  return { dialog, body, close: () => dialog.close() };
}

/** Asks for one line of text (e.g. a new room name); resolves null when cancelled. */
export function promptDialog(opts: {
  title: string;
  label: string;
  value: string;
  confirmLabel: string;
  maxLength: number;
  /** A problem with the value to show under the field, or null when it is fine. */
  check: (value: string) => string | null;
  /** Does the work; a thrown Error's message is shown and the dialog stays open. */
  submit: (value: string) => Promise<void>;
}): void {
  const id = uid('prompt');
  const error = h('p', { id: `${id}-error`, class: 'field-error', role: 'alert' });
  const input = h('input', {
    id,
    type: 'text',
    class: 'input',
    value: opts.value,
    maxlength: String(opts.maxLength),
    autocomplete: 'off',
    'aria-describedby': `${id}-error`,
    'data-testid': 'prompt-input',
    on: {
      input: () => {
        error.textContent = '';
        input.removeAttribute('aria-invalid');
      },
    },
  });
  const ok = h(
    'button',
    { type: 'submit', class: 'btn btn-primary', 'data-testid': 'prompt-submit' },
    opts.confirmLabel,
  );
  let modal: Modal | undefined;
  const form = h(
    'form',
    {
      novalidate: true,
      on: {
        submit: (ev) => {
          ev.preventDefault();
          const problem = opts.check(input.value);
          if (problem) {
            error.textContent = problem;
            input.setAttribute('aria-invalid', 'true');
            input.focus();
            return;
          }
          ok.disabled = true;
          opts.submit(input.value).then(
            () => modal?.close(),
            (err: unknown) => {
              ok.disabled = false;
              error.textContent = err instanceof Error ? err.message : 'Something went wrong.';
              input.focus();
            },
          );
        },
      },
    },
    h('label', { for: id, class: 'label' }, opts.label),
    input,
    error,
    h(
      'div',
      { class: 'dialog-actions' },
      h(
        'button',
        { type: 'button', class: 'btn btn-ghost', on: { click: () => modal?.close() } },
        'Cancel',
      ),
      ok,
    ),
  );
  modal = openModal({ title: opts.title, testid: 'prompt-dialog', content: form });
  input.focus();
  input.select();
}
