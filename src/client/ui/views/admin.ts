// The administration page (admins only): sign-up open or closed, invite links, and
// the accounts with their role and state.
// Over 300 lines: three sections built by hand (no framework), each with its states.
import { type AdminUser, AuthCode, type Invite, type Role, type User } from '../../accounts.js';
import { ApiError } from '../../api.js';
import type { AccountContext } from '../account-context.js';
import type { Announcer } from '../announcer.js';
import { h, icon, setChildren, uid } from '../dom.js';
import { formatDate, formatFull, parseTimestamp } from '../format.js';
import { setPageTitle } from '../title.js';
import { avatar } from './avatar.js';
import { confirmDialog } from './confirm-dialog.js';
import { copyField, pageFrame, section } from './page.js';
import { toast } from './toast.js';

export interface AdminOptions {
  account: AccountContext;
  announcer: Announcer;
  /** Our own role or state changed: the app reloads the account. */
  onSelfChanged: () => void;
}

const EXPIRY_CHOICES: readonly [number, string][] = [
  [3600, '1 hour'],
  [86_400, '1 day'],
  [7 * 86_400, '7 days'],
  [30 * 86_400, '30 days'],
];
const MAX_USES = 1000;

function errText(err: unknown): string {
  return err instanceof ApiError ? err.message : 'Something went wrong.';
}

function expiryText(iso: string): string {
  const at = parseTimestamp(iso);
  return at.getTime() <= Date.now() ? 'expired' : `expires ${formatDate(at)}`;
}

export class AdminView {
  readonly el: HTMLElement;
  private readonly signupSwitch: HTMLInputElement;
  private readonly signupNote: HTMLElement;
  private readonly inviteList: HTMLElement;
  private readonly newInvite: HTMLElement;
  private readonly userList: HTMLElement;
  private readonly usersError: HTMLElement;
  private readonly title: HTMLElement;
  private users: AdminUser[] = [];
  private destroyed = false;

  constructor(private readonly opts: AdminOptions) {
    // Sign-up
    const switchId = uid('signup');
    this.signupSwitch = h('input', {
      id: switchId,
      type: 'checkbox',
      role: 'switch',
      class: 'switch-input',
      disabled: true,
      'aria-describedby': `${switchId}-note`,
      'data-testid': 'signup-open',
      on: { change: () => void this.setSignup(this.signupSwitch.checked) },
    });
    this.signupNote = h('p', { id: `${switchId}-note`, class: 'hint' }, 'Loading…');
    const signup = section({
      title: 'Sign-up',
      testid: 'admin-signup',
      content: [
        h(
          'label',
          { class: 'switch', for: switchId },
          this.signupSwitch,
          h('span', { class: 'switch-track', 'aria-hidden': 'true' }),
          h('span', { class: 'switch-label' }, 'Anyone can create an account'),
        ),
        this.signupNote,
      ],
    });

    // Invites
    const usesId = uid('uses');
    const expId = uid('expires');
    const uses = h('input', {
      id: usesId,
      type: 'number',
      class: 'input',
      min: '1',
      max: String(MAX_USES),
      value: '1',
      inputmode: 'numeric',
      'data-testid': 'invite-uses',
    });
    const expires = h(
      'select',
      { id: expId, class: 'input select', 'data-testid': 'invite-expiry' },
      EXPIRY_CHOICES.map(([s, label]) =>
        h('option', { value: String(s), selected: s === 7 * 86_400 }, label),
      ),
    );
    const inviteError = h('p', { class: 'field-error', role: 'alert' });
    this.newInvite = h('div', { class: 'new-secret', 'data-testid': 'new-invite', hidden: true });
    const inviteForm = h(
      'form',
      {
        class: 'invite-form',
        novalidate: true,
        on: {
          submit: (ev) => {
            ev.preventDefault();
            const n = Number(uses.value);
            if (!Number.isInteger(n) || n < 1 || n > MAX_USES) {
              inviteError.textContent = `Uses must be a whole number from 1 to ${MAX_USES}.`;
              uses.setAttribute('aria-invalid', 'true');
              uses.focus();
              return;
            }
            uses.removeAttribute('aria-invalid');
            inviteError.textContent = '';
            void this.createInvite(n, Number(expires.value), inviteError);
          },
        },
      },
      h(
        'div',
        { class: 'invite-row' },
        h(
          'div',
          { class: 'invite-field' },
          h('label', { for: usesId, class: 'label' }, 'Number of uses'),
          uses,
        ),
        h(
          'div',
          { class: 'invite-field' },
          h('label', { for: expId, class: 'label' }, 'Expires after'),
          expires,
        ),
        h(
          'button',
          { type: 'submit', class: 'btn btn-primary', 'data-testid': 'create-invite' },
          icon('plus'),
          h('span', null, 'Create invite link'),
        ),
      ),
      inviteError,
    );
    this.inviteList = h('ul', { class: 'settings-list', 'data-testid': 'invite-list' });
    const invites = section({
      title: 'Invite links',
      lead: 'Someone who opens an invite link can create an account, as often as the link has uses left.',
      testid: 'admin-invites',
      content: [inviteForm, this.newInvite, this.inviteList],
    });

    // Accounts
    this.usersError = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'users-error' });
    this.userList = h('ul', { class: 'settings-list', 'data-testid': 'user-list' });
    const people = section({
      title: 'Accounts',
      lead: 'Administrators can invite people and manage accounts and every room.',
      testid: 'admin-users',
      content: [this.usersError, this.userList],
    });

    this.el = pageFrame({
      title: 'Administration',
      lead: 'Who can join this server, and with which rights.',
      testid: 'admin-page',
      menu: opts.account.menu(false),
      content: [signup, invites, people],
    });
    this.title = this.el.querySelector('h1') ?? this.el;
    setChildren(this.inviteList, h('li', { class: 'settings-empty' }, 'Loading…'));
    setChildren(this.userList, h('li', { class: 'settings-empty' }, 'Loading…'));
  }

  start(): void {
    setPageTitle('Administration · Parley');
    void this.load();
  }

  focus(): void {
    this.title.focus();
  }

  destroy(): void {
    this.destroyed = true;
  }

  private async load(): Promise<void> {
    const { accounts } = this.opts.account;
    const [settings, invites, users] = await Promise.allSettled([
      accounts.settings(),
      accounts.invites(),
      accounts.adminUsers(),
    ]);
    if (this.destroyed) return;
    if (settings.status === 'fulfilled') this.showSignup(settings.value.signup_open);
    else this.signupNote.textContent = errText(settings.reason);
    if (invites.status === 'fulfilled') this.renderInvites(invites.value);
    else
      setChildren(this.inviteList, h('li', { class: 'settings-empty' }, errText(invites.reason)));
    if (users.status === 'fulfilled') {
      this.users = users.value;
      this.renderUsers();
    } else {
      setChildren(this.userList, h('li', { class: 'settings-empty' }, errText(users.reason)));
    }
  }

  private showSignup(open: boolean): void {
    this.signupSwitch.disabled = false;
    this.signupSwitch.checked = open;
    this.signupNote.textContent = open
      ? 'Open: anyone who can reach this server can sign up, no invite needed.'
      : 'Closed: people need an invite link to sign up.';
  }

  private async setSignup(open: boolean): Promise<void> {
    this.signupSwitch.disabled = true;
    try {
      const s = await this.opts.account.accounts.setSignupOpen(open);
      if (this.destroyed) return;
      this.showSignup(s.signup_open);
      this.opts.announcer.say(s.signup_open ? 'Sign-up is open.' : 'Sign-up is closed.');
    } catch (err) {
      if (this.destroyed) return;
      this.showSignup(!open);
      toast(errText(err));
    }
  }

  private async createInvite(uses: number, expiresInS: number, error: HTMLElement): Promise<void> {
    try {
      const inv = await this.opts.account.accounts.createInvite(uses, expiresInS);
      if (this.destroyed) return;
      this.newInvite.hidden = false;
      setChildren(
        this.newInvite,
        copyField({ label: 'New invite link', value: inv.url, testid: 'invite-url' }),
        h(
          'p',
          { class: 'hint' },
          `${inv.uses === 1 ? 'One use' : `${inv.uses} uses`}, ${expiryText(inv.expires_at)}. Send it to the people you want to invite.`,
        ),
      );
      this.newInvite.querySelector<HTMLInputElement>('input')?.focus();
      this.opts.announcer.say('Invite link created.');
      this.renderInvites(await this.opts.account.accounts.invites());
    } catch (err) {
      if (!this.destroyed) error.textContent = errText(err);
    }
  }

  private renderInvites(invites: readonly Invite[]): void {
    if (this.destroyed) return;
    if (invites.length === 0) {
      setChildren(this.inviteList, h('li', { class: 'settings-empty' }, 'No invite links yet.'));
      return;
    }
    setChildren(
      this.inviteList,
      invites.map((inv) =>
        h(
          'li',
          { class: 'settings-item', 'data-testid': 'invite-item' },
          h(
            'div',
            { class: 'settings-item-text' },
            h(
              'span',
              { class: 'settings-item-title mono', title: inv.url },
              `…${inv.code.slice(-8)}`,
            ),
            h(
              'span',
              { class: 'settings-item-sub', title: formatFull(parseTimestamp(inv.expires_at)) },
              `${inv.uses_left} of ${inv.uses} ${inv.uses === 1 ? 'use' : 'uses'} left · ${expiryText(inv.expires_at)}`,
            ),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'icon-btn',
              'aria-label': `Copy invite link ending in ${inv.code.slice(-8)}`,
              title: 'Copy link',
              on: {
                click: () => {
                  navigator.clipboard.writeText(inv.url).then(
                    () => toast('Invite link copied.', 'info'),
                    () => toast('Could not copy the link.'),
                  );
                },
              },
            },
            icon('copy'),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'icon-btn icon-btn-danger',
              'aria-label': `Delete invite link ending in ${inv.code.slice(-8)}`,
              title: 'Delete invite',
              'data-testid': 'delete-invite',
              on: { click: () => void this.deleteInvite(inv) },
            },
            icon('trash'),
          ),
        ),
      ),
    );
  }

  private async deleteInvite(inv: Invite): Promise<void> {
    const ok = await confirmDialog({
      title: 'Delete this invite link?',
      body: 'Nobody will be able to sign up with it any more. Accounts made with it stay.',
      confirmLabel: 'Delete link',
      danger: true,
    });
    if (!ok || this.destroyed) return;
    try {
      await this.opts.account.accounts.deleteInvite(inv.code);
      this.renderInvites(await this.opts.account.accounts.invites());
      this.opts.announcer.say('Invite link deleted.');
    } catch (err) {
      toast(errText(err));
    }
  }

  private renderUsers(): void {
    const me = this.opts.account.user;
    const sorted = [...this.users].sort(
      (a, b) =>
        Number(b.active) - Number(a.active) ||
        Number(b.role === 'admin') - Number(a.role === 'admin') ||
        a.username.localeCompare(b.username),
    );
    setChildren(
      this.userList,
      sorted.map((u) => this.userItem(u, me)),
    );
  }

  private userItem(u: AdminUser, me: User): Element {
    const isAdmin = u.role === 'admin';
    return h(
      'li',
      {
        class: `settings-item${u.active ? '' : ' settings-item-off'}`,
        'data-testid': 'user-item',
        'data-username': u.username,
        'data-role': u.role,
        'data-active': String(u.active),
      },
      avatar(u.username, 'sm'),
      h(
        'div',
        { class: 'settings-item-text' },
        h(
          'span',
          { class: 'settings-item-title' },
          u.username,
          u.id === me.id ? h('span', { class: 'badge' }, 'you') : null,
          isAdmin ? h('span', { class: 'badge badge-admin' }, 'admin') : null,
          u.active ? null : h('span', { class: 'badge badge-off' }, 'deactivated'),
        ),
        h(
          'span',
          { class: 'settings-item-sub' },
          `Joined ${formatDate(parseTimestamp(u.created_at))}`,
        ),
      ),
      h(
        'div',
        { class: 'settings-item-actions' },
        u.active
          ? h(
              'button',
              {
                type: 'button',
                class: 'btn btn-small',
                'data-testid': isAdmin ? 'demote-user' : 'promote-user',
                'aria-label': `${isAdmin ? 'Remove admin' : 'Make admin'}: ${u.username}`,
                on: { click: () => void this.setRole(u, isAdmin ? 'member' : 'admin') },
              },
              isAdmin ? 'Remove admin' : 'Make admin',
            )
          : null,
        h(
          'button',
          {
            type: 'button',
            class: `btn btn-small${u.active ? ' btn-ghost btn-ghost-danger' : ''}`,
            'data-testid': u.active ? 'deactivate-user' : 'reactivate-user',
            'aria-label': `${u.active ? 'Deactivate' : 'Reactivate'} ${u.username}`,
            on: { click: () => void this.setActive(u, !u.active) },
          },
          u.active ? 'Deactivate' : 'Reactivate',
        ),
      ),
    );
  }

  private async setRole(u: AdminUser, role: Role): Promise<void> {
    const self = u.id === this.opts.account.user.id;
    if (role === 'member') {
      const ok = await confirmDialog({
        title: self
          ? 'Remove your own administrator rights?'
          : `Remove admin rights from ${u.username}?`,
        body: self
          ? 'You will no longer see this page. Another administrator can give the rights back.'
          : `${u.username} will no longer be able to manage accounts, invites and other people's rooms.`,
        confirmLabel: 'Remove admin',
        danger: true,
      });
      if (!ok) return;
    }
    await this.patch(
      u,
      { role },
      role === 'admin'
        ? `${u.username} is now an administrator.`
        : `${u.username} is no longer an administrator.`,
    );
  }

  private async setActive(u: AdminUser, active: boolean): Promise<void> {
    if (!active) {
      const self = u.id === this.opts.account.user.id;
      const ok = await confirmDialog({
        title: self ? 'Deactivate your own account?' : `Deactivate ${u.username}?`,
        body: `${self ? 'You' : u.username} will be signed out everywhere at once, and ${self ? 'your' : 'their'} API tokens stop working. Messages stay. You can reactivate the account later.`,
        confirmLabel: 'Deactivate',
        danger: true,
      });
      if (!ok) return;
    }
    await this.patch(
      u,
      { active },
      active ? `${u.username} was reactivated.` : `${u.username} was deactivated.`,
    );
  }

  private async patch(
    u: AdminUser,
    change: { role?: Role; active?: boolean },
    done: string,
  ): Promise<void> {
    this.usersError.textContent = '';
    try {
      const updated = await this.opts.account.accounts.updateUser(u.id, change);
      if (this.destroyed) return;
      this.users = this.users.map((x) => (x.id === u.id ? { ...x, ...updated } : x));
      this.renderUsers();
      toast(done, 'info');
      this.opts.announcer.say(done);
      this.userList
        .querySelector<HTMLElement>(`[data-username="${CSS.escape(u.username)}"] button`)
        ?.focus();
      if (u.id === this.opts.account.user.id) this.opts.onSelfChanged();
    } catch (err) {
      if (this.destroyed) return;
      if (err instanceof ApiError && err.code === AuthCode.LAST_ADMIN) {
        this.usersError.textContent = `${u.username} is the last active administrator, so this is not possible. Make someone else an administrator first.`;
      } else {
        this.usersError.textContent = errText(err);
      }
      this.usersError.scrollIntoView({ block: 'nearest' });
    }
  }
}
