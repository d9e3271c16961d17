import { h } from './dom.js';

/**
 * Feeds a visually hidden polite live region: joins, leaves and connection changes
 * are read out by screen readers without moving focus.
 */
export class Announcer {
  constructor(private readonly region: HTMLElement) {}

  say(text: string): void {
    if (!text) return;
    const line = h('p', null, text);
    this.region.appendChild(line);
    // Old lines have been read; keep the region small.
    while (this.region.childElementCount > 5) this.region.firstElementChild?.remove();
    setTimeout(() => line.remove(), 10_000);
  }
}
