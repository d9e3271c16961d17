import { h } from '../dom.js';

export interface ConfirmOptions {
  title: string;
  body: string;
  confirmLabel: string;
  danger?: boolean;
}

/**
 * A modal confirmation built on <dialog>: focus is trapped, Escape cancels, and
 * the safe choice (Cancel) has focus first.
 */
export function confirmDialog(opts: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = `dlg-title-${Date.now()}`;
    const bodyId = `${titleId}-body`;
    const cancel = h(
      'button',
      { type: 'submit', value: 'cancel', class: 'btn btn-ghost', autofocus: true },
      'Cancel',
    );
    const confirm = h(
      'button',
      {
        type: 'submit',
        value: 'confirm',
        class: `btn ${opts.danger ? 'btn-danger' : 'btn-primary'}`,
        'data-testid': 'confirm-button',
      },
      opts.confirmLabel,
    );
    const dialog = h(
      'dialog',
      {
        class: 'dialog',
        'aria-labelledby': titleId,
        'aria-describedby': bodyId,
        'data-testid': 'confirm-dialog',
      },
      h(
        'form',
        { method: 'dialog', class: 'dialog-form' },
        h('h2', { id: titleId, class: 'dialog-title' }, opts.title),
        h('p', { id: bodyId, class: 'dialog-body' }, opts.body),
        h('div', { class: 'dialog-actions' }, cancel, confirm),
      ),
    );
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
      if (opener?.isConnected) opener.focus();
    });
    // A click on the backdrop (outside the form) cancels.
    dialog.addEventListener('click', (ev) => {
      if (ev.target === dialog) dialog.close('cancel');
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
