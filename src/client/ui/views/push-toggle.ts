// The bell in the header: turns Web Push notifications on or off for this
// browser (README "Notifications"). Hidden where they cannot work (no Push API,
// not a secure context, push off on the server).
import type { Api } from '../../api.js';
import { PushSettings, type PushState } from '../../push.js';
import { h, icon } from '../dom.js';
import { toast } from './toast.js';

const LABEL: Record<PushState, string> = {
  unsupported: '',
  unavailable: '',
  denied: 'Notifications are blocked for this site in the browser settings',
  off: 'Turn on notifications',
  on: 'Turn off notifications',
};

export function pushToggle(api: Api, username: string): HTMLElement {
  const settings = new PushSettings(api, username);
  let state: PushState = 'unsupported';
  let busy = false;
  const button = h(
    'button',
    {
      type: 'button',
      class: 'icon-btn push-toggle',
      hidden: true,
      'aria-pressed': 'false',
      'data-testid': 'push-toggle',
      on: { click: () => void toggle() },
    },
    icon('bell'),
  );
  const show = (next: PushState) => {
    state = next;
    button.hidden = next === 'unsupported' || next === 'unavailable';
    button.setAttribute('aria-pressed', String(next === 'on'));
    button.setAttribute('aria-label', LABEL[next]);
    button.title = LABEL[next];
    button.dataset.state = next;
  };
  async function toggle(): Promise<void> {
    if (busy) return;
    if (state === 'denied') {
      toast(LABEL.denied);
      return;
    }
    busy = true;
    try {
      const next = state === 'on' ? await settings.disable() : await settings.enable();
      show(next);
      if (next === 'denied') toast(LABEL.denied);
      else if (next === 'on') toast('Notifications are on for this browser.', 'info');
    } catch {
      toast('Notifications could not be changed. Try again.');
    } finally {
      busy = false;
    }
  }
  settings.state().then(show, () => show('unsupported'));
  return button;
}
