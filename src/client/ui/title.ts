// The tab's title and icon: the screen's own title, with the unread count of the
// workspace in front ("(3) design · Parley") and on the favicon, so a tab in the
// background says there is something to read.

let base = 'Parley';
let count = 0;
let mention = false;
let plainIcon: string | null = null;

/** The screen's title (each view sets its own). */
export function setPageTitle(title: string): void {
  base = title;
  apply();
}

/** Unread messages over all rooms of the sidebar; `mentions`: some of them name you. */
export function setUnreadBadge(unread: number, mentions: boolean): void {
  if (unread === count && mentions === mention) return;
  count = unread;
  mention = mentions;
  apply();
  applyIcon();
}

function apply(): void {
  document.title = count > 0 ? `(${count > 99 ? '99+' : count}) ${base}` : base;
}

/** The favicon with a dot (red for mentions) and the count; the plain one again at 0. */
function applyIcon(): void {
  const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) return;
  plainIcon ??= link.href;
  link.dataset.count = String(count);
  if (count === 0) {
    link.href = plainIcon;
    return;
  }
  const text = count > 9 ? '9+' : String(count);
  const fill = mention ? '#d92d2d' : '#5b4ef0';
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
    `<rect x="2" y="4" width="24" height="20" rx="6" fill="#5b4ef0"/>` +
    `<path d="M8 24l-2 6 8-6z" fill="#5b4ef0"/>` +
    `<circle cx="23" cy="10" r="9" fill="${fill}" stroke="#fff" stroke-width="2"/>` +
    `<text x="23" y="14" font-family="Arial,sans-serif" font-size="${text.length > 1 ? 10 : 12}" font-weight="700" fill="#fff" text-anchor="middle">${text}</text>` +
    `</svg>`;
  link.href = `data:image/svg+xml,${encodeURIComponent(svg)}`;
}
