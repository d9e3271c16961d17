// Connection status: a small pill that is always in the header, and a banner with
// the details (countdown, attempt k of n) and a Retry button while not connected.
// After the quick attempts the banner says "Disconnected" but still counts down to
// the next slow attempt: the tab never stops trying on its own.
import { CloseCode } from '../../../protocol/error-codes.js';
import type { ConnectionState } from '../../chat-client.js';
import { h, icon, setChildren } from '../dom.js';

export interface StatusText {
  /** One or two words for the pill. */
  short: string;
  /** A full sentence for the banner; empty when no banner is needed. */
  long: string;
  /** Pill colour. */
  tone: 'ok' | 'busy' | 'warn' | 'bad';
  retry: 'none' | 'now' | 'retry';
}

export function describeState(s: ConnectionState, now = Date.now()): StatusText {
  switch (s.kind) {
    case 'idle':
      return { short: 'Not connected', long: '', tone: 'busy', retry: 'none' };
    case 'connecting':
      if (s.attempt === 0) return { short: 'Connecting…', long: '', tone: 'busy', retry: 'none' };
      if (s.attempt > s.maxAttempts) {
        // One of the slow attempts after the quick ones failed.
        return {
          short: 'Reconnecting…',
          long: 'Disconnected. Trying to reach the server…',
          tone: 'bad',
          retry: 'none',
        };
      }
      return {
        short: 'Reconnecting…',
        long: `Reconnecting… (attempt ${s.attempt} of ${s.maxAttempts})`,
        tone: 'warn',
        retry: 'none',
      };
    case 'open':
      return { short: 'Connected', long: '', tone: 'ok', retry: 'none' };
    case 'waiting': {
      const secs = Math.max(0, Math.ceil((s.retryAt - now) / 1000));
      return {
        short: 'Reconnecting',
        long: `Connection lost. Reconnecting in ${secs}s (attempt ${s.attempt} of ${s.maxAttempts})`,
        tone: 'warn',
        retry: 'now',
      };
    }
    case 'gave_up': {
      const next =
        s.retryAt === undefined
          ? " Couldn't reach the server."
          : ` Trying again in ${Math.max(0, Math.ceil((s.retryAt - now) / 1000))}s.`;
      return {
        short: 'Disconnected',
        long: `Disconnected.${next} Messages you write will be sent once you're back.`,
        tone: 'bad',
        retry: 'retry',
      };
    }
    case 'closed':
      if (s.code === CloseCode.ROOM_DELETED) {
        return { short: 'Room deleted', long: '', tone: 'bad', retry: 'none' };
      }
      if (s.code === CloseCode.ROOM_NOT_FOUND) {
        return { short: 'Room not found', long: '', tone: 'bad', retry: 'none' };
      }
      if (s.code === CloseCode.INVALID_USERNAME) {
        return {
          short: 'Name rejected',
          long: `The server did not accept your name${s.reason ? `: ${s.reason}` : '.'} Change your name to join.`,
          tone: 'bad',
          retry: 'none',
        };
      }
      return {
        short: 'Disconnected',
        long: `Disconnected by the server${s.reason ? `: ${s.reason}` : '.'}`,
        tone: 'bad',
        retry: 'none',
      };
  }
}

export class StatusView {
  readonly pill: HTMLElement;
  readonly banner: HTMLElement;
  private readonly pillText: HTMLElement;
  private readonly bannerText: HTMLElement;
  private readonly retryBtn: HTMLButtonElement;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private state: ConnectionState = { kind: 'idle' };

  constructor(onRetry: () => void) {
    this.pillText = h('span', { class: 'status-text' });
    this.pill = h(
      'div',
      { class: 'status-pill', 'data-testid': 'connection-status' },
      h('span', { class: 'status-dot', 'aria-hidden': 'true' }),
      this.pillText,
    );
    this.bannerText = h('span', { class: 'banner-text', 'data-testid': 'connection-detail' });
    this.retryBtn = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small btn-on-banner',
        'data-testid': 'retry-connection',
        on: { click: () => onRetry() },
      },
      icon('retry'),
      h('span', null, 'Retry'),
    );
    this.banner = h(
      'div',
      { class: 'status-banner', 'data-testid': 'connection-banner', hidden: true },
      this.bannerText,
      this.retryBtn,
    );
  }

  update(state: ConnectionState): void {
    this.state = state;
    this.render();
    clearInterval(this.ticker);
    this.ticker = undefined;
    if (state.kind === 'waiting' || (state.kind === 'gave_up' && state.retryAt !== undefined)) {
      this.ticker = setInterval(() => this.render(), 250);
    }
  }

  destroy(): void {
    clearInterval(this.ticker);
  }

  private render(): void {
    const t = describeState(this.state);
    this.pill.dataset.state = this.state.kind;
    this.pill.dataset.tone = t.tone;
    this.pill.title = t.long || t.short;
    if (this.pillText.textContent !== t.short) this.pillText.textContent = t.short;
    this.banner.dataset.state = this.state.kind;
    this.banner.dataset.tone = t.tone;
    this.banner.hidden = t.long === '';
    if (this.bannerText.textContent !== t.long) this.bannerText.textContent = t.long;
    this.retryBtn.hidden = t.retry === 'none';
    const label = t.retry === 'now' ? 'Retry now' : 'Retry';
    const span = this.retryBtn.querySelector('span');
    if (span && span.textContent !== label) setChildren(span, label);
  }
}
