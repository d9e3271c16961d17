// "Your account": change the password, see and end sessions, make and revoke API
// tokens (a new token is shown once).
// Over 300 lines: three sections built by hand (no framework), each with its states.
import type { SessionInfo, TokenInfo } from '../../accounts.js';
import { AuthCode } from '../../accounts.js';
import { ApiError } from '../../api.js';
import { describeUserAgent } from '../../user-agent.js';
import type { AccountContext } from '../account-context.js';
import type { Announcer } from '../announcer.js';
import { h, icon, setChildren, uid } from '../dom.js';
import { formatDate, formatFull, parseTimestamp } from '../format.js';
import { setPageTitle } from '../title.js';
import { avatar } from './avatar.js';
import { confirmDialog } from './confirm-dialog.js';
import { copyField, pageFrame, section } from './page.js';
import { MIN_PASSWORD } from './sign-in.js';
import { toast } from './toast.js';

export interface AccountOptions {
  account: AccountContext;
  announcer: Announcer;
  /** This very session was ended (revoked here): the app shows the sign-in screen. */
  onSignedOut: () => void;
}

function errText(err: unknown): string {
  return err instanceof ApiError ? err.message : 'Something went wrong.';
}

function when(iso: string | null): string {
  return iso ? formatDate(parseTimestamp(iso)) : 'never';
}

function passwordField(label: string, autocomplete: string, testid: string) {
  const id = uid('pw');
  const error = h('p', { id: `${id}-error`, class: 'field-error', role: 'alert' });
  const input = h('input', {
    id,
    type: 'password',
    class: 'input',
    autocomplete,
    'aria-describedby': `${id}-error`,
    'data-testid': testid,
    on: {
      input: () => {
        error.textContent = '';
        input.removeAttribute('aria-invalid');
      },
    },
  });
  const set = (text: string) => {
    error.textContent = text;
    if (text) input.setAttribute('aria-invalid', 'true');
  };
  return {
    input,
    set,
    el: h(
      'div',
      { class: 'form-field' },
      h('label', { for: id, class: 'label' }, label),
      input,
      error,
    ),
  };
}

export class AccountView {
  readonly el: HTMLElement;
  private readonly sessionList: HTMLElement;
  private readonly tokenList: HTMLElement;
  private readonly newToken: HTMLElement;
  private readonly title: HTMLElement;
  private destroyed = false;

  constructor(private readonly opts: AccountOptions) {
    const { user } = opts.account;

    const profile = h(
      'section',
      { class: 'card profile-card', 'data-testid': 'profile' },
      avatar(user.username, 'lg'),
      h(
        'div',
        { class: 'profile-text' },
        h('span', { class: 'profile-name' }, user.username),
        h(
          'span',
          { class: 'settings-item-sub' },
          `${user.role === 'admin' ? 'Administrator' : 'Member'} · joined ${formatDate(parseTimestamp(user.created_at))}`,
        ),
      ),
    );

    // Password
    const current = passwordField('Current password', 'current-password', 'current-password');
    const next = passwordField('New password', 'new-password', 'new-password');
    const again = passwordField('New password again', 'new-password', 'new-password-again');
    const pwButton = h(
      'button',
      { type: 'submit', class: 'btn btn-primary', 'data-testid': 'change-password' },
      'Change password',
    );
    const pwForm = h(
      'form',
      {
        class: 'settings-form',
        novalidate: true,
        on: {
          submit: (ev) => {
            ev.preventDefault();
            let bad: HTMLInputElement | null = null;
            if (!current.input.value) {
              current.set('Please enter your current password.');
              bad = current.input;
            }
            if ([...next.input.value].length < MIN_PASSWORD) {
              next.set(`A password needs at least ${MIN_PASSWORD} characters.`);
              bad ??= next.input;
            } else if (again.input.value !== next.input.value) {
              again.set('The two new passwords are not the same.');
              bad ??= again.input;
            }
            if (bad) {
              bad.focus();
              return;
            }
            pwButton.disabled = true;
            opts.account.accounts.changePassword(current.input.value, next.input.value).then(
              () => {
                pwButton.disabled = false;
                pwForm.reset();
                toast('Password changed. Your other sessions were signed out.', 'info');
                opts.announcer.say('Password changed. Your other sessions were signed out.');
                void this.loadSessions();
              },
              (err: unknown) => {
                pwButton.disabled = false;
                if (err instanceof ApiError && err.code === AuthCode.INVALID_CREDENTIALS) {
                  current.set('This is not your current password.');
                  current.input.focus();
                } else {
                  next.set(errText(err));
                  next.input.focus();
                }
              },
            );
          },
        },
      },
      // A hidden username helps password managers file the new password correctly.
      h('input', {
        type: 'text',
        autocomplete: 'username',
        value: user.username,
        hidden: true,
        readonly: true,
        'aria-hidden': 'true',
        tabindex: '-1',
      }),
      current.el,
      h('div', { class: 'form-pair' }, next.el, again.el),
      h('div', { class: 'form-actions' }, pwButton),
    );
    const password = section({
      title: 'Password',
      lead: 'Changing it signs out your other sessions.',
      testid: 'account-password',
      content: pwForm,
    });

    // Sessions
    this.sessionList = h('ul', { class: 'settings-list', 'data-testid': 'session-list' });
    const sessions = section({
      title: 'Sessions',
      lead: 'Where you are signed in. End any you do not recognise.',
      testid: 'account-sessions',
      content: this.sessionList,
    });

    // Tokens
    const tokenId = uid('token-name');
    const tokenError = h('p', { class: 'field-error', role: 'alert' });
    const tokenName = h('input', {
      id: tokenId,
      type: 'text',
      class: 'input',
      placeholder: 'e.g. deploy-bot',
      maxlength: '100',
      autocomplete: 'off',
      'data-testid': 'token-name',
      on: { input: () => (tokenError.textContent = '') },
    });
    this.newToken = h('div', { class: 'new-secret', 'data-testid': 'new-token', hidden: true });
    const tokenForm = h(
      'form',
      {
        class: 'settings-form',
        novalidate: true,
        on: {
          submit: (ev) => {
            ev.preventDefault();
            const name = tokenName.value.trim();
            if (!name) {
              tokenError.textContent = 'Please give the token a name.';
              tokenName.focus();
              return;
            }
            void this.createToken(name, tokenName, tokenError);
          },
        },
      },
      h('label', { for: tokenId, class: 'label' }, 'New token name'),
      h(
        'div',
        { class: 'create-row' },
        tokenName,
        h(
          'button',
          {
            type: 'submit',
            class: 'btn btn-primary',
            'aria-label': 'Create token',
            'data-testid': 'create-token',
          },
          icon('plus'),
          h('span', null, 'Create token'),
        ),
      ),
      tokenError,
    );
    this.tokenList = h('ul', { class: 'settings-list', 'data-testid': 'token-list' });
    const tokens = section({
      title: 'API tokens',
      lead: 'For bots and scripts: send a token as "Authorization: Bearer <token>". It acts as you.',
      testid: 'account-tokens',
      content: [tokenForm, this.newToken, this.tokenList],
    });

    this.el = pageFrame({
      title: 'Your account',
      lead: 'Password, sessions and API tokens.',
      testid: 'account-page',
      menu: opts.account.menu(false),
      content: [profile, password, sessions, tokens],
    });
    this.title = this.el.querySelector('h1') ?? this.el;
    setChildren(this.sessionList, h('li', { class: 'settings-empty' }, 'Loading…'));
    setChildren(this.tokenList, h('li', { class: 'settings-empty' }, 'Loading…'));
  }

  start(): void {
    setPageTitle('Your account · Parley');
    void this.loadSessions();
    void this.loadTokens();
  }

  focus(): void {
    this.title.focus();
  }

  destroy(): void {
    this.destroyed = true;
  }

  private async loadSessions(): Promise<void> {
    try {
      const list = await this.opts.account.accounts.sessions();
      if (!this.destroyed) this.renderSessions(list);
    } catch (err) {
      if (!this.destroyed)
        setChildren(this.sessionList, h('li', { class: 'settings-empty' }, errText(err)));
    }
  }

  private renderSessions(list: readonly SessionInfo[]): void {
    const sorted = [...list].sort(
      (a, b) =>
        Number(b.current) - Number(a.current) || b.last_seen_at.localeCompare(a.last_seen_at),
    );
    setChildren(
      this.sessionList,
      sorted.map((s) => {
        const device = describeUserAgent(s.user_agent);
        return h(
          'li',
          {
            class: 'settings-item',
            'data-testid': 'session-item',
            'data-current': String(s.current),
          },
          h('span', { class: 'settings-item-icon', 'aria-hidden': 'true' }, icon('shield')),
          h(
            'div',
            { class: 'settings-item-text' },
            h(
              'span',
              { class: 'settings-item-title', title: s.user_agent ?? '' },
              device,
              s.current ? h('span', { class: 'badge' }, 'this device') : null,
            ),
            h(
              'span',
              { class: 'settings-item-sub', title: formatFull(parseTimestamp(s.last_seen_at)) },
              `Signed in ${when(s.created_at)} · last active ${when(s.last_seen_at)}`,
            ),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-small btn-ghost btn-ghost-danger',
              'data-testid': 'revoke-session',
              'aria-label': s.current ? 'Sign out on this device' : `End session: ${device}`,
              on: { click: () => void this.revokeSession(s, device) },
            },
            s.current ? 'Sign out' : 'End session',
          ),
        );
      }),
    );
  }

  private async revokeSession(s: SessionInfo, device: string): Promise<void> {
    if (!s.current) {
      const ok = await confirmDialog({
        title: 'End this session?',
        body: `${device} will be signed out at once.`,
        confirmLabel: 'End session',
        danger: true,
      });
      if (!ok || this.destroyed) return;
    }
    try {
      await this.opts.account.accounts.revokeSession(s.id);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) {
        toast(errText(err));
        return;
      }
    }
    if (s.current) {
      this.opts.onSignedOut();
      return;
    }
    this.opts.announcer.say('Session ended.');
    await this.loadSessions();
  }

  private async loadTokens(): Promise<void> {
    try {
      const list = await this.opts.account.accounts.tokens();
      if (!this.destroyed) this.renderTokens(list);
    } catch (err) {
      if (!this.destroyed)
        setChildren(this.tokenList, h('li', { class: 'settings-empty' }, errText(err)));
    }
  }

  private renderTokens(list: readonly TokenInfo[]): void {
    if (list.length === 0) {
      setChildren(this.tokenList, h('li', { class: 'settings-empty' }, 'No API tokens.'));
      return;
    }
    setChildren(
      this.tokenList,
      [...list]
        .sort((a, b) => b.created_at.localeCompare(a.created_at))
        .map((t) =>
          h(
            'li',
            { class: 'settings-item', 'data-testid': 'token-item', 'data-name': t.name },
            h('span', { class: 'settings-item-icon', 'aria-hidden': 'true' }, icon('key')),
            h(
              'div',
              { class: 'settings-item-text' },
              h('span', { class: 'settings-item-title' }, t.name),
              h(
                'span',
                { class: 'settings-item-sub' },
                `Created ${when(t.created_at)} · last used ${when(t.last_used_at)}`,
              ),
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'btn btn-small btn-ghost btn-ghost-danger',
                'data-testid': 'revoke-token',
                'aria-label': `Revoke token ${t.name}`,
                on: { click: () => void this.revokeToken(t) },
              },
              'Revoke',
            ),
          ),
        ),
    );
  }

  private async createToken(
    name: string,
    input: HTMLInputElement,
    error: HTMLElement,
  ): Promise<void> {
    try {
      const t = await this.opts.account.accounts.createToken(name);
      if (this.destroyed) return;
      input.value = '';
      this.newToken.hidden = false;
      setChildren(
        this.newToken,
        copyField({ label: `Token “${t.name}”`, value: t.token, testid: 'token-value' }),
        h(
          'p',
          { class: 'hint hint-warn', role: 'status' },
          'Copy it now: it is shown only once. Anyone with it can act as you.',
        ),
      );
      this.newToken.querySelector<HTMLInputElement>('input')?.focus();
      await this.loadTokens();
    } catch (err) {
      if (!this.destroyed) error.textContent = errText(err);
    }
  }

  private async revokeToken(t: TokenInfo): Promise<void> {
    const ok = await confirmDialog({
      title: `Revoke “${t.name}”?`,
      body: 'Bots and scripts using it will be refused from now on.',
      confirmLabel: 'Revoke token',
      danger: true,
    });
    if (!ok || this.destroyed) return;
    try {
      await this.opts.account.accounts.revokeToken(t.id);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) {
        toast(errText(err));
        return;
      }
    }
    this.opts.announcer.say(`Token ${t.name} revoked.`);
    await this.loadTokens();
  }
}
