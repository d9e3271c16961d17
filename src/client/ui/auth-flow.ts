// Which mode the server runs in and who is signed in (accounts mode), and the way
// in and out: the sign-in, sign-up and first-run screens, sign-out, and the return
// to the sign-in screen when the server ends the session (a 401 from any call, a
// 4003 close). The outbox stays in storage throughout: messages written before a
// session ended are sent once the same person signs in again.
//
// Start-up is quick on a known server: the mode and account from the last visit
// are used at once (so a reload while the server is down still shows the app) and
// checked with the server in the background.
import { AccountsApi, type AuthMode, OPEN_MODE, parseAuthMode, type User } from '../accounts.js';
import { Api, ApiError } from '../api.js';
import { inviteFromSearch, withoutInvite } from '../invite-link.js';
import { PushSettings } from '../push.js';
import { type KeyValueStore, readJson, writeJson } from '../storage.js';
import type { Announcer } from './announcer.js';
import { setPageTitle } from './title.js';
import { type AuthScreen, SignInView } from './views/sign-in.js';

const MODE_KEY = 'parley:auth-mode';
const USER_KEY = 'parley:account';
/** The mode is asked before the first screen on a new server: never wait long for it. */
const MODE_TIMEOUT_MS = 4_000;

interface ShownView {
  readonly el: HTMLElement;
  start?(): void;
  focus(): void;
  destroy(): void;
}

export interface AuthFlowOptions {
  api: Api;
  store: KeyValueStore;
  announcer: Announcer;
  show: (view: ShownView) => void;
  /** Signed in (or the mode or account changed): show the screen for the URL. */
  onSignedIn: () => void;
  /** Signed out: forget what belongs to the account (e.g. the cached room list). */
  onSignedOut: () => void;
}

function validUser(u: unknown): User | null {
  if (typeof u !== 'object' || u === null) return null;
  const x = u as Partial<User>;
  return typeof x.id === 'string' &&
    typeof x.username === 'string' &&
    (x.role === 'admin' || x.role === 'member')
    ? { id: x.id, username: x.username, role: x.role, created_at: String(x.created_at ?? '') }
    : null;
}

export class AuthFlow {
  readonly api: AccountsApi;
  /** False until the first screen can be chosen. */
  ready = false;
  mode: AuthMode = OPEN_MODE;
  user: User | null = null;
  private invite: string | null = null;
  private screen: AuthScreen | null = null;
  private signIn: SignInView | null = null;

  constructor(private readonly opts: AuthFlowOptions) {
    this.api = new AccountsApi(opts.api);
    opts.api.onUnauthorized = () => this.sessionEnded();
  }

  get accounts(): boolean {
    return this.mode.mode === 'accounts';
  }

  async start(): Promise<void> {
    this.invite = inviteFromSearch(location.search);
    if (this.invite) {
      try {
        history.replaceState(history.state, '', withoutInvite(location.href));
      } catch {
        // keep the address as is
      }
    }
    const cached = readJson<unknown>(this.opts.store, MODE_KEY);
    const cachedMode = cached === undefined ? null : parseAuthMode(cached);
    const cachedUser = validUser(readJson<unknown>(this.opts.store, USER_KEY));
    if (cachedMode && !this.invite) {
      this.mode = cachedMode;
      this.user = cachedMode.mode === 'accounts' ? cachedUser : null;
      if (cachedMode.mode === 'open' || this.user) {
        this.ready = true;
        void this.verify();
        return;
      }
    }
    await this.verify(cachedMode ?? OPEN_MODE);
    this.ready = true;
  }

  /**
   * Asks the server for its mode and (accounts mode) who we are. `fallback` is the
   * mode to assume when the server cannot be reached before the first screen.
   */
  private async verify(fallback?: AuthMode): Promise<void> {
    let mode: AuthMode;
    try {
      mode = await new AccountsApi(new Api({ timeoutMs: MODE_TIMEOUT_MS })).mode();
    } catch {
      if (fallback) this.mode = fallback;
      return;
    }
    const before = { mode: this.mode.mode, user: this.user?.id, role: this.user?.role };
    this.setMode(mode);
    if (mode.mode === 'open') {
      this.setUser(null);
    } else {
      try {
        this.setUser(await this.api.me());
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) this.setUser(null);
        // Unreachable: keep the account from the last visit.
      }
    }
    const changed =
      before.mode !== this.mode.mode ||
      before.user !== this.user?.id ||
      before.role !== this.user?.role;
    if (this.ready && changed) this.opts.onSignedIn();
  }

  /** Shows the right door: first run, sign-up with an invite, or sign-in. */
  showSignIn(notice?: string): void {
    const screen: AuthScreen = this.mode.first_run
      ? 'first_run'
      : (this.screen ?? (this.invite ? 'signup' : 'signin'));
    // Already there: keep what the person typed.
    if (this.signIn?.el.isConnected && this.screen === screen && notice === undefined) return;
    this.screen = screen;
    this.signIn = new SignInView({
      screen,
      accounts: this.api,
      invite: this.invite,
      signupOpen: this.mode.signup_open,
      notice,
      onSignedIn: (user) => this.signedIn(user),
      onSwitch: (next) => {
        this.screen = next;
        this.showSignIn();
      },
    });
    this.opts.show(this.signIn);
    setPageTitle(screen === 'signin' ? 'Sign in · Parley' : 'Sign up · Parley');
  }

  async signOut(): Promise<void> {
    // This browser no longer gets the account's notifications (a shared computer).
    await new PushSettings(this.api.api, '').disable().catch(() => undefined);
    try {
      await this.api.logout();
    } catch {
      // Signed out here either way; the server ends an unused session in time.
    }
    this.signedOut();
  }

  /** This session is over by our own doing (signed out, or revoked on the account page). */
  signedOut(): void {
    this.setUser(null);
    this.screen = 'signin';
    this.opts.onSignedOut();
    this.opts.announcer.say('Signed out.');
    this.showSignIn('You are signed out.');
  }

  /** The server says our session is gone (401, close 4003). */
  sessionEnded(): void {
    const had = this.user !== null;
    this.setUser(null);
    if (had) this.opts.onSignedOut();
    if (!this.ready) return;
    const notice = had ? 'Your session has ended. Please sign in again.' : undefined;
    if (had) this.opts.announcer.say('Your session has ended.');
    if (this.accounts) {
      this.showSignIn(notice);
      return;
    }
    // The server switched to accounts mode since we last asked: learn its details first.
    void this.api.mode().then(
      (mode) => {
        this.setMode(mode);
        if (this.accounts) this.showSignIn(notice);
      },
      () => undefined,
    );
  }

  /** Asks whether the session still stands (after a dropped connection); a 401 ends it. */
  async checkSession(): Promise<void> {
    if (!this.user) return;
    try {
      const me = await this.api.me();
      const roleChanged = me.role !== this.user?.role;
      this.setUser(me);
      if (roleChanged) this.opts.onSignedIn();
    } catch {
      // 401 is handled by the Api hook; unreachable is the room's own business.
    }
  }

  async refreshMe(): Promise<void> {
    try {
      this.setUser(await this.api.me());
    } catch {
      // see checkSession
    }
  }

  private signedIn(user: User): void {
    this.setUser(user);
    this.invite = null;
    this.screen = null;
    this.signIn = null;
    this.setMode({ ...this.mode, first_run: false });
    this.opts.announcer.say(`Signed in as ${user.username}.`);
    this.opts.onSignedIn();
  }

  private setMode(mode: AuthMode): void {
    this.mode = mode;
    writeJson(this.opts.store, MODE_KEY, mode);
  }

  private setUser(user: User | null): void {
    this.user = user;
    if (user) writeJson(this.opts.store, USER_KEY, user);
    else {
      try {
        this.opts.store.removeItem(USER_KEY);
      } catch {
        // ignore
      }
    }
  }
}
