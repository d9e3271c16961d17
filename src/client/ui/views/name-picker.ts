// First screen: choose the name others will see (kept in localStorage).
import { DEFAULT_LIMITS } from '../../../protocol/limits.js';
import { type NameProblem, nameProblem, normalizeName } from '../../../protocol/text-rules.js';
import { h, uid } from '../dom.js';
import { brand } from './brand.js';

export function nameProblemText(p: NameProblem, what: string, max: number): string {
  switch (p) {
    case 'empty':
      return `Please enter a ${what}.`;
    case 'too_long':
      return `A ${what} can be at most ${max} characters.`;
    case 'control_chars':
      return `A ${what} cannot contain control characters.`;
    case 'invisible_chars':
      return `A ${what} cannot contain invisible characters (zero-width, direction marks).`;
  }
}

export interface NamePickerOptions {
  current: string | null;
  onDone: (name: string) => void;
  onCancel?: () => void;
}

export class NamePickerView {
  readonly el: HTMLElement;
  private readonly input: HTMLInputElement;

  constructor(opts: NamePickerOptions) {
    const id = uid('username');
    const max = DEFAULT_LIMITS.maxUsernameLength;
    const error = h('p', { id: `${id}-error`, class: 'field-error', role: 'alert' });
    this.input = h('input', {
      id,
      type: 'text',
      class: 'input input-lg',
      autocomplete: 'nickname',
      autocapitalize: 'words',
      spellcheck: 'false',
      maxlength: String(max),
      value: opts.current ?? '',
      placeholder: 'e.g. Ada Lovelace',
      'aria-describedby': `${id}-help ${id}-error`,
      'data-testid': 'username-input',
      on: {
        input: () => {
          error.textContent = '';
          this.input.removeAttribute('aria-invalid');
        },
      },
    });
    const form = h(
      'form',
      {
        class: 'welcome-form',
        novalidate: true,
        on: {
          submit: (ev) => {
            ev.preventDefault();
            const name = normalizeName(this.input.value);
            const problem = nameProblem(name, max);
            if (problem) {
              error.textContent = nameProblemText(problem, 'name', max);
              this.input.setAttribute('aria-invalid', 'true');
              this.input.focus();
              return;
            }
            opts.onDone(name);
          },
          keydown: (ev) => {
            if (ev.key === 'Escape' && opts.onCancel) {
              ev.preventDefault();
              opts.onCancel();
            }
          },
        },
      },
      h('label', { for: id, class: 'label' }, 'Your name'),
      this.input,
      h(
        'p',
        { id: `${id}-help`, class: 'hint' },
        'This is how others see you. You can change it later.',
      ),
      error,
      h(
        'div',
        { class: 'welcome-actions' },
        opts.onCancel
          ? h(
              'button',
              { type: 'button', class: 'btn btn-ghost', on: { click: () => opts.onCancel?.() } },
              'Cancel',
            )
          : null,
        h(
          'button',
          { type: 'submit', class: 'btn btn-primary btn-lg', 'data-testid': 'username-submit' },
          opts.current ? 'Save name' : 'Continue',
        ),
      ),
    );
    this.el = h(
      'main',
      { class: 'screen welcome', 'data-testid': 'name-picker' },
      h(
        'div',
        { class: 'welcome-card' },
        brand(true),
        h(
          'h1',
          { class: 'welcome-title' },
          opts.current ? 'Change your name' : 'Welcome to Parley',
        ),
        h(
          'p',
          { class: 'welcome-lead' },
          opts.current
            ? 'Your messages so far keep the name they were sent with.'
            : 'Real-time rooms for your team and friends. Pick a name to get started.',
        ),
        form,
      ),
    );
  }

  focus(): void {
    this.input.focus();
    this.input.select();
  }

  destroy(): void {}
}
