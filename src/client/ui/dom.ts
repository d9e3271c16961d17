// Tiny DOM helpers. Text only ever enters the page through createTextNode or
// textContent: there is deliberately no way to set innerHTML here.

type Listener<K extends keyof HTMLElementEventMap> = (ev: HTMLElementEventMap[K]) => void;

export interface Attrs {
  class?: string | false | null | undefined;
  /** Event listeners, e.g. `on: { click: fn }`. */
  on?: { [K in keyof HTMLElementEventMap]?: Listener<K> };
  /** Any other attribute: strings and numbers are set, true sets an empty value, false/null/undefined skip. */
  [attr: string]: unknown;
}

export type Child = Node | string | number | null | undefined | false | readonly Child[];

const FORBIDDEN = new Set(['innerhtml', 'outerhtml', 'style', 'srcdoc']);

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
  } else if (child instanceof Node) {
    parent.appendChild(child);
  } else {
    parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Creates an element. Strings among `children` become text nodes, never markup. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (key === 'on') {
        for (const [type, fn] of Object.entries(value as Record<string, EventListener>)) {
          el.addEventListener(type, fn);
        }
        continue;
      }
      if (FORBIDDEN.has(key.toLowerCase()) || key.toLowerCase().startsWith('on')) {
        throw new Error(`h(): attribute "${key}" is not allowed`);
      }
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') el.className = String(value);
      else if (key === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Icon paths (24x24, stroked). Static, so no user input ever reaches an SVG. */
const ICONS = {
  send: ['M4 12l16-8-6 16-2.5-6.5L4 12z'],
  back: ['M15 5l-7 7 7 7'],
  trash: ['M4 7h16', 'M10 11v6', 'M14 11v6', 'M6 7l1 13h10l1-13', 'M9 7V4h6v3'],
  users: [
    'M16 19v-1a4 4 0 0 0-4-4H7a4 4 0 0 0-4 4v1',
    'M9.5 10a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z',
    'M21 19v-1a4 4 0 0 0-3-3.87',
    'M15.5 3.13a3.5 3.5 0 0 1 0 6.75',
  ],
  plus: ['M12 5v14', 'M5 12h14'],
  refresh: ['M20 11a8 8 0 1 0-2.3 5.7', 'M20 4v7h-7'],
  close: ['M6 6l12 12', 'M18 6L6 18'],
  down: ['M12 5v14', 'M6 13l6 6 6-6'],
  retry: ['M4 4v6h6', 'M5.5 15a7 7 0 1 0 1.6-7.3L4 10'],
  chat: ['M4 5h16v11H9l-5 4V5z'],
  bell: ['M6 16v-5a6 6 0 1 1 12 0v5l2 2H4l2-2z', 'M10 20.5a2 2 0 0 0 4 0'],
  search: ['M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13z', 'M15.5 15.5L20 20'],
  edit: ['M4 20h4L19 9l-4-4L4 16v4z', 'M13.5 6.5l4 4'],
  lock: ['M6 11h12v9H6z', 'M8.5 11V8a3.5 3.5 0 0 1 7 0v3'],
  at: ['M16 12a4 4 0 1 1-8 0 4 4 0 0 1 8 0z', 'M16 12v1.5a2.5 2.5 0 0 0 5 0V12a9 9 0 1 0-3.5 7.1'],
  copy: ['M9 9h11v11H9z', 'M5 15H4V4h11v1'],
  key: ['M14.5 9.5a4 4 0 1 0-3.2 3.9L13 15h2v2h2v2h3v-3l-5.6-5.6c.1-.3.1-.6.1-.9z'],
  shield: ['M12 3l8 3v6c0 4.5-3.4 8.2-8 9-4.6-.8-8-4.5-8-9V6l8-3z'],
  clip: [
    'M20 11.5l-8.2 8.2a5 5 0 0 1-7.1-7.1l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4l7.8-7.8',
  ],
  file: ['M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8l-5-5z', 'M14 3v5h5'],
  download: ['M12 4v11', 'M7 10l5 5 5-5', 'M5 20h14'],
  'bell-off': [
    'M6 17h12l-1.5-2V10a4.5 4.5 0 0 0-7.8-3',
    'M7.5 10v5L6 17',
    'M10 20h4',
    'M4 4l16 16',
  ],
  menu: ['M4 7h16', 'M4 12h16', 'M4 17h16'],
  smile: [
    'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z',
    'M8.5 14.5s1.3 1.8 3.5 1.8 3.5-1.8 3.5-1.8',
    'M9 9.5h.01',
    'M15 9.5h.01',
  ],
  reply: ['M9 14L4 9l5-5', 'M4 9h10.5a5.5 5.5 0 0 1 0 11H11'],
  more: ['M5 12h.01', 'M12 12h.01', 'M19 12h.01'],
} as const;
export type IconName = keyof typeof ICONS;

/** A decorative icon (hidden from assistive technology; give its button a label). */
export function icon(name: IconName, extraClass = ''): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `icon ${extraClass}`.trim());
  for (const d of ICONS[name]) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.appendChild(path);
  }
  return svg;
}

/** Replaces all children of `el`. */
export function setChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export interface Keyed {
  key: string;
  render: () => Element;
}

/**
 * Makes `parent`'s children match `items` by key, reusing the elements of keys it
 * already rendered (so a new message adds one node instead of redrawing the log).
 * Returns the cache to pass next time.
 */
export function reconcile(
  parent: Element,
  items: readonly Keyed[],
  cache: Map<string, Element>,
): Map<string, Element> {
  const next = new Map<string, Element>();
  let cursor: ChildNode | null = parent.firstChild;
  for (const item of items) {
    if (next.has(item.key)) continue;
    const el = cache.get(item.key) ?? item.render();
    next.set(item.key, el);
    if (el === cursor) {
      cursor = cursor.nextSibling;
    } else {
      parent.insertBefore(el, cursor);
    }
  }
  for (const [key, el] of cache) {
    if (!next.has(key)) el.remove();
  }
  return next;
}

let idCounter = 0;
/** A document-unique id for label/aria wiring. */
export function uid(prefix: string): string {
  idCounter++;
  return `${prefix}-${idCounter}`;
}
