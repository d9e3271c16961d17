// Message text as a small, safe Markdown subset: emphasis, strikethrough, inline
// code and code blocks, quotes, lists, links (and bare URLs, linkified), with
// @mentions highlighted. markdown-it parses (html: false, so any markup in a
// message stays text); its tokens become a plain tree of allowed tags (pure, so it
// is unit-tested without a browser), and the DOM is built from that tree with
// createElement and text nodes only: user content never becomes HTML, whatever
// the parser lets through. Links go only to http(s) and mailto addresses.
import MarkdownIt, { type Token } from 'markdown-it';
import { mentionRanges } from '../../protocol/mentions.js';

const md = new MarkdownIt('default', {
  html: false,
  linkify: true,
  breaks: true,
  typographer: false,
});
// Chat is not a document: no headings, tables, rules, or images (an image would
// load from anywhere the writer likes, telling them who read the message).
md.disable(['heading', 'lheading', 'table', 'hr', 'image', 'reference', 'entity']);
// Fuzzy links ("example.com") surprise more than they help; explicit URLs and
// e-mail addresses are enough.
md.linkify.set({ fuzzyLink: false });

/** The only tags the renderer creates. */
export type MdTag =
  | 'p'
  | 'blockquote'
  | 'ul'
  | 'ol'
  | 'li'
  | 'em'
  | 'strong'
  | 's'
  | 'code'
  | 'pre'
  | 'a'
  /** Where a link really goes, shown after its text when the text is not the address. */
  | 'target'
  | 'mention';

export interface MdElement {
  tag: MdTag;
  children: MdNode[];
  /** `a`: the checked address. */
  href?: string;
  /** `ol`: the first number, when not 1. */
  start?: number;
  /** `mention`: whether it names the reader. */
  me?: boolean;
}
export type MdNode = string | MdElement;

/** Block and inline token types (without _open/_close) and the tag each becomes. */
const TAGS: Readonly<Record<string, MdTag>> = {
  paragraph: 'p',
  blockquote: 'blockquote',
  bullet_list: 'ul',
  ordered_list: 'ol',
  list_item: 'li',
  em: 'em',
  strong: 'strong',
  s: 's',
};

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** The URL a link may point to, or null when it may not be a link at all. */
export function safeHref(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
}

export interface RenderOptions {
  /** Mentions of this name are highlighted more strongly. */
  me?: string | undefined;
}

/** Parses `content` into a tree of allowed tags and text. */
export function markdownTree(content: string, opts: RenderOptions = {}): MdNode[] {
  const root: MdElement = { tag: 'p', children: [] };
  const stack: MdElement[] = [root];
  const top = () => stack[stack.length - 1] as MdElement;
  for (const t of md.parse(content, {})) {
    if (t.type === 'inline') {
      inline(t.children ?? [], top(), opts);
    } else if (t.type === 'fence' || t.type === 'code_block') {
      const code: MdElement = { tag: 'code', children: [t.content.replace(/\n$/, '')] };
      top().children.push({ tag: 'pre', children: [code] });
    } else if (t.nesting === 1) {
      const tag = TAGS[t.type.replace(/_open$/, '')];
      // Tight lists hide their paragraphs; unknown blocks add no element either.
      if (!tag || t.hidden) {
        stack.push(top());
        continue;
      }
      const el: MdElement = { tag, children: [] };
      const start = Number(t.attrGet('start'));
      if (tag === 'ol' && Number.isInteger(start) && start > 1) el.start = start;
      top().children.push(el);
      stack.push(el);
    } else if (t.nesting === -1) {
      if (stack.length > 1) stack.pop();
    } else if (t.content) {
      // Anything else the parser might produce is shown as its text.
      top().children.push(t.content);
    }
  }
  return root.children;
}

function inline(tokens: readonly Token[], parent: MdElement, opts: RenderOptions): void {
  const stack: MdElement[] = [parent];
  const top = () => stack[stack.length - 1] as MdElement;
  const links: (MdElement | null)[] = [];
  for (const t of tokens) {
    switch (t.type) {
      case 'text':
        // Inside a link, mentions stay plain text: the link is what it is.
        if (links.length > 0) top().children.push(t.content);
        else withMentions(top(), t.content, opts.me);
        break;
      case 'code_inline':
        top().children.push({ tag: 'code', children: [t.content] });
        break;
      case 'softbreak':
      case 'hardbreak':
        // A newline, not <br>: the text keeps its line breaks (pre-wrap shows them),
        // so copying and searching the page see them too.
        top().children.push('\n');
        break;
      case 'link_open': {
        const href = safeHref(String(t.attrGet('href') ?? ''));
        if (href === null) {
          // Not a link we allow: its text is shown, unlinked.
          links.push(null);
          stack.push(top());
        } else {
          const a: MdElement = { tag: 'a', href, children: [] };
          top().children.push(a);
          links.push(a);
          stack.push(a);
        }
        break;
      }
      case 'link_close': {
        const a = links.pop();
        if (stack.length > 1) stack.pop();
        if (a) showTarget(a, top());
        break;
      }
      default: {
        const tag = TAGS[t.type.replace(/_(open|close)$/, '')];
        if (tag && t.nesting === 1) {
          const el: MdElement = { tag, children: [] };
          top().children.push(el);
          stack.push(el);
        } else if (tag && t.nesting === -1) {
          if (stack.length > 1) stack.pop();
        } else if (t.content) {
          top().children.push(t.content);
        }
      }
    }
  }
}

const BLOCKS: ReadonlySet<MdTag> = new Set(['p', 'blockquote', 'ul', 'ol', 'li', 'pre']);

/** The text of a tree, as a screen reader or a search would see it (blocks apart). */
export function treeText(nodes: readonly MdNode[]): string {
  let out = '';
  for (const n of nodes) {
    if (typeof n === 'string') out += n;
    else {
      const inner = treeText(n.children);
      out += BLOCKS.has(n.tag) && out !== '' && !/\s$/.test(out) ? `\n${inner}` : inner;
    }
  }
  return out;
}

/**
 * A link whose text is not its address says where it really goes, right after
 * the text: "[bank](https://evil.example)" reads "bank (evil.example)".
 */
function showTarget(a: MdElement, parent: MdElement): void {
  const href = a.href ?? '';
  const text = treeText(a.children).trim();
  const url = new URL(href);
  const host = url.protocol === 'mailto:' ? url.pathname : url.host;
  const plain = [href, href.replace(/^mailto:/, ''), host, href.replace(/\/$/, '')];
  if (plain.includes(text)) return;
  parent.children.push({ tag: 'target', children: [` (${host})`] });
}

function withMentions(parent: MdElement, text: string, me: string | undefined): void {
  const ranges = mentionRanges(text);
  let at = 0;
  const key = me?.toLowerCase();
  for (const r of ranges) {
    if (r.start > at) parent.children.push(text.slice(at, r.start));
    const mine = key !== undefined && r.name.toLowerCase() === key;
    parent.children.push({ tag: 'mention', me: mine, children: [text.slice(r.start, r.end)] });
    at = r.end;
  }
  if (at < text.length) parent.children.push(text.slice(at));
}

/** Renders `content` into a fragment of safe elements, with its plain text. */
export function renderMarkdown(
  content: string,
  opts: RenderOptions = {},
): { fragment: DocumentFragment; text: string } {
  const tree = markdownTree(content, opts);
  const fragment = document.createDocumentFragment();
  for (const n of tree) fragment.appendChild(toDom(n));
  return { fragment, text: treeText(tree) };
}

function toDom(n: MdNode): Node {
  if (typeof n === 'string') return document.createTextNode(n);
  let el: HTMLElement;
  switch (n.tag) {
    case 'a': {
      const a = document.createElement('a');
      a.href = n.href ?? '';
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.title = n.href ?? '';
      el = a;
      break;
    }
    case 'target':
      el = document.createElement('span');
      el.className = 'link-target';
      break;
    case 'mention':
      el = document.createElement('span');
      el.className = n.me ? 'mention mention-me' : 'mention';
      el.dataset.testid = n.me ? 'mention-me' : 'mention';
      break;
    default:
      el = document.createElement(n.tag);
      if (n.tag === 'ol' && n.start !== undefined) el.setAttribute('start', String(n.start));
  }
  for (const c of n.children) el.appendChild(toDom(c));
  return el;
}
