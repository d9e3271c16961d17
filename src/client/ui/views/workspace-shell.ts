// The workspace screen: the sidebar next to what is open (a room, or the room
// browser). On a phone the sidebar is a drawer, opened by a button the shell puts
// at the start of the open screen's top bar; a pick, Escape or the backdrop closes it.
import type { User } from '../../accounts.js';
import type { Workspace } from '../../workspace.js';
import { h, icon } from '../dom.js';
import { SidebarView } from './sidebar.js';

const NARROW = '(max-width: 860px)';

export class WorkspaceShell {
  readonly el: HTMLElement;
  readonly sidebar: SidebarView;
  private readonly main: HTMLElement;
  private readonly narrow = window.matchMedia(NARROW);
  private drawerOpen = false;
  private toggle: HTMLButtonElement | null = null;
  private readonly cleanups: (() => void)[] = [];

  constructor(workspace: Workspace, me: User | null) {
    this.sidebar = new SidebarView({
      workspace,
      me,
      onPicked: () => this.setDrawer(false, false),
    });
    this.sidebar.el.id = 'workspace-sidebar';
    this.main = h('div', { class: 'workspace-main' });
    const backdrop = h('div', {
      class: 'drawer-backdrop side-backdrop',
      'aria-hidden': 'true',
      on: { click: () => this.setDrawer(false, true) },
    });
    this.el = h(
      'div',
      { class: 'workspace', 'data-testid': 'workspace' },
      this.sidebar.el,
      backdrop,
      this.main,
    );
    // Whether the tab's socket is up, for tests and styles (the room's own status says it to people).
    const offState = workspace.on('state', (st) => {
      this.el.dataset.socket = st.kind;
    });
    const onMq = () => this.setDrawer(false, false);
    this.narrow.addEventListener('change', onMq);
    const onKey = (ev: KeyboardEvent) => {
      if (ev.key === 'Escape' && this.drawerOpen && this.narrow.matches) {
        ev.preventDefault();
        this.setDrawer(false, true);
      }
    };
    document.addEventListener('keydown', onKey);
    this.cleanups.push(
      offState,
      () => this.narrow.removeEventListener('change', onMq),
      () => document.removeEventListener('keydown', onKey),
    );
    this.apply();
  }

  destroy(): void {
    for (const c of this.cleanups) c();
    this.sidebar.destroy();
  }

  /** Shows a screen next to the sidebar; `roomId`: the room it shows (marked in the list). */
  setContent(content: HTMLElement, roomId: string | null): void {
    this.main.replaceChildren(content);
    this.sidebar.setCurrent(roomId);
    this.toggle = h(
      'button',
      {
        type: 'button',
        class: 'icon-btn drawer-toggle',
        'aria-label': 'Your rooms',
        'aria-controls': 'workspace-sidebar',
        'aria-expanded': 'false',
        'data-testid': 'open-sidebar',
        on: { click: () => this.setDrawer(!this.drawerOpen, true) },
      },
      icon('menu'),
    );
    content.querySelector('.topbar')?.prepend(this.toggle);
    this.setDrawer(false, false);
  }

  private setDrawer(open: boolean, moveFocus: boolean): void {
    this.drawerOpen = open && this.narrow.matches;
    this.apply();
    if (!moveFocus) return;
    if (this.drawerOpen) this.sidebar.el.querySelector<HTMLElement>('a, button')?.focus();
    else this.toggle?.focus();
  }

  private apply(): void {
    this.el.classList.toggle('drawer-open', this.drawerOpen);
    this.toggle?.setAttribute('aria-expanded', String(this.drawerOpen));
    // A closed drawer is off screen: out of the tab order and the accessibility tree.
    this.sidebar.el.inert = this.narrow.matches && !this.drawerOpen;
  }
}
