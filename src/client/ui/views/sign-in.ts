// Accounts mode's door: sign in, sign up (with an invite or while sign-up is open),
// and the first-run screen that creates the administrator.
// Over 300 lines: three forms built by hand (no framework) sharing their layout.
import { DEFAULT_LIMITS } from '../../../protocol/limits.js';
import { nameProblem, normalizeName } from '../../../protocol/text-rules.js';
import { type AccountsApi, AuthCode, type User } from '../../accounts.js';
import { ApiError } from '../../api.js';
import { h, uid } from '../dom.js';
import { brand } from './brand.js';
import { nameProblemText } from './name-picker.js';

export type AuthScreen = 'signin' | 'signup' | 'first_run';

export const MIN_PASSWORD = 8;

export interface SignInOptions {
  screen: AuthScreen;
  accounts: AccountsApi;
  /** An invite code from the link this page was opened with. */
  invite: string | null;
  /** Whether anyone may sign up without an invite. */
  signupOpen: boolean;
  /** Why the person is here again (e.g. their session ended), shown above the form. */
  notice?: string;
  onSignedIn: (user: User) => void;
  /** Switches between sign-in and sign-up. */
  onSwitch: (screen: AuthScreen) => void;
}

interface Field {
  input: HTMLInputElement;
  error: HTMLElement;
  wrap: HTMLElement;
}

function field(
  label: string,
  attrs: Record<string, string>,
  hint?: string,
  testid?: string,
): Field {
  const id = uid('auth');
  const error = h('p', { id: `${id}-error`, class: 'field-error', role: 'alert' });
  const describedBy = hint ? `${id}-hint ${id}-error` : `${id}-error`;
  const input = h('input', {
    id,
    class: 'input input-lg',
    'aria-describedby': describedBy,
    'data-testid': testid,
    ...attrs,
    on: {
      input: () => {
        error.textContent = '';
        input.removeAttribute('aria-invalid');
      },
    },
  });
  const wrap = h(
    'div',
    { class: 'auth-field' },
    h('label', { for: id, class: 'label' }, label),
    input,
    hint ? h('p', { id: `${id}-hint`, class: 'hint' }, hint) : null,
    error,
  );
  return { input, error, wrap };
}

function setError(f: Field, text: string): void {
  f.error.textContent = text;
  if (text) f.input.setAttribute('aria-invalid', 'true');
  else f.input.removeAttribute('aria-invalid');
}

export class SignInView {
  readonly el: HTMLElement;
  private readonly username: Field;
  private readonly password: Field;
  private readonly formError: HTMLElement;
  private readonly submit: HTMLButtonElement;
  private busy = false;

  constructor(private readonly opts: SignInOptions) {
    const signingUp = opts.screen !== 'signin';
    const max = DEFAULT_LIMITS.maxUsernameLength;
    this.username = field(
      'Username',
      {
        type: 'text',
        autocomplete: 'username',
        autocapitalize: 'none',
        spellcheck: 'false',
        maxlength: String(max),
      },
      signingUp ? 'Your name in chat. It cannot be changed later.' : undefined,
      'auth-username',
    );
    this.password = field(
      'Password',
      {
        type: 'password',
        autocomplete: signingUp ? 'new-password' : 'current-password',
        minlength: signingUp ? String(MIN_PASSWORD) : '1',
      },
      signingUp ? `At least ${MIN_PASSWORD} characters.` : undefined,
      'auth-password',
    );
    this.formError = h('p', {
      class: 'form-error',
      role: 'alert',
      'data-testid': 'auth-error',
    });
    const label =
      opts.screen === 'first_run'
        ? 'Create administrator account'
        : signingUp
          ? 'Create account'
          : 'Sign in';
    this.submit = h(
      'button',
      { type: 'submit', class: 'btn btn-primary btn-lg', 'data-testid': 'auth-submit' },
      label,
    );

    const form = h(
      'form',
      {
        class: 'welcome-form auth-form',
        novalidate: true,
        'data-testid': 'auth-form',
        on: {
          submit: (ev) => {
            ev.preventDefault();
            void this.send();
          },
        },
      },
      this.username.wrap,
      this.password.wrap,
      this.formError,
      h('div', { class: 'welcome-actions' }, this.submit),
    );

    this.el = h(
      'main',
      {
        class: 'screen welcome',
        'data-testid': opts.screen === 'first_run' ? 'first-run' : `auth-${opts.screen}`,
      },
      h(
        'div',
        { class: 'welcome-card' },
        brand(true),
        h('h1', { class: 'welcome-title' }, this.title()),
        h('p', { class: 'welcome-lead' }, this.lead()),
        opts.screen === 'first_run'
          ? h(
              'p',
              { class: 'auth-callout', 'data-testid': 'first-run-note' },
              h('strong', null, 'This first account becomes the administrator.'),
              ' It can invite people, open sign-up and manage accounts. Keep its password safe.',
            )
          : null,
        opts.notice
          ? h('p', { class: 'auth-callout auth-callout-warn', role: 'status' }, opts.notice)
          : null,
        form,
        this.switchLink(),
      ),
    );
  }

  focus(): void {
    this.username.input.focus();
  }

  destroy(): void {}

  private title(): string {
    switch (this.opts.screen) {
      case 'first_run':
        return 'Set up Parley';
      case 'signup':
        return this.opts.invite ? "You're invited" : 'Create your account';
      case 'signin':
        return 'Sign in to Parley';
    }
  }

  private lead(): string {
    switch (this.opts.screen) {
      case 'first_run':
        return 'No accounts exist on this server yet. Create the first one to get started.';
      case 'signup':
        return this.opts.invite
          ? 'Choose a username and password to join this Parley server.'
          : 'Sign-up is open on this server. Choose a username and password.';
      case 'signin':
        return 'Welcome back. Sign in to see your rooms.';
    }
  }

  private switchLink(): HTMLElement | null {
    const { screen, invite, signupOpen } = this.opts;
    if (screen === 'first_run') return null;
    if (screen === 'signup') {
      return h(
        'p',
        { class: 'auth-switch' },
        'Already have an account? ',
        h(
          'button',
          {
            type: 'button',
            class: 'link-btn',
            'data-testid': 'to-signin',
            on: { click: () => this.opts.onSwitch('signin') },
          },
          'Sign in',
        ),
      );
    }
    if (!invite && !signupOpen) {
      return h(
        'p',
        { class: 'auth-switch' },
        'No account yet? Ask an administrator for an invite link.',
      );
    }
    return h(
      'p',
      { class: 'auth-switch' },
      'New here? ',
      h(
        'button',
        {
          type: 'button',
          class: 'link-btn',
          'data-testid': 'to-signup',
          on: { click: () => this.opts.onSwitch('signup') },
        },
        'Create an account',
      ),
    );
  }

  private async send(): Promise<void> {
    if (this.busy) return;
    const signingUp = this.opts.screen !== 'signin';
    this.formError.textContent = '';
    const username = normalizeName(this.username.input.value);
    const password = this.password.input.value;
    const max = DEFAULT_LIMITS.maxUsernameLength;
    const problem = nameProblem(username, max);
    let bad: Field | null = null;
    if (problem) {
      setError(this.username, nameProblemText(problem, 'username', max));
      bad = this.username;
    }
    if (password.length === 0) {
      setError(this.password, 'Please enter a password.');
      bad ??= this.password;
    } else if (signingUp && [...password].length < MIN_PASSWORD) {
      setError(this.password, `A password needs at least ${MIN_PASSWORD} characters.`);
      bad ??= this.password;
    }
    if (bad) {
      bad.input.focus();
      return;
    }
    this.busy = true;
    this.submit.disabled = true;
    this.submit.setAttribute('aria-busy', 'true');
    try {
      const user = signingUp
        ? await this.opts.accounts.signup(username, password, this.opts.invite ?? undefined)
        : await this.opts.accounts.login(username, password);
      this.opts.onSignedIn(user);
    } catch (err) {
      this.showError(err);
    } finally {
      this.busy = false;
      this.submit.disabled = false;
      this.submit.removeAttribute('aria-busy');
    }
  }

  private showError(err: unknown): void {
    if (!(err instanceof ApiError)) {
      this.formError.textContent = 'Something went wrong. Please try again.';
      return;
    }
    switch (err.code) {
      case AuthCode.USERNAME_TAKEN:
        setError(this.username, 'This username is taken. Please choose another one.');
        this.username.input.focus();
        return;
      case AuthCode.INVALID_CREDENTIALS:
        this.formError.textContent = 'Wrong username or password.';
        this.password.input.select();
        this.password.input.focus();
        return;
      case AuthCode.INVITE_INVALID:
        this.formError.textContent =
          'This invite link is not valid any more (used up, expired or deleted). Ask for a new one.';
        return;
    }
    this.formError.textContent =
      err.status === 429 ? 'Too many attempts. Please wait a minute and try again.' : err.message;
  }
}
