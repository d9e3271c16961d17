import { describe, expect, it } from 'vitest';
import {
  type MdElement,
  type MdNode,
  markdownTree,
  safeHref,
  treeText,
} from '../../../src/client/ui/markdown.js';

const ALLOWED = new Set([
  'p',
  'blockquote',
  'ul',
  'ol',
  'li',
  'em',
  'strong',
  's',
  'code',
  'pre',
  'a',
  'target',
  'mention',
]);

function elements(nodes: readonly MdNode[]): MdElement[] {
  const out: MdElement[] = [];
  for (const n of nodes) {
    if (typeof n === 'string') continue;
    out.push(n, ...elements(n.children));
  }
  return out;
}

const links = (content: string) => elements(markdownTree(content)).filter((e) => e.tag === 'a');

describe('markdownTree', () => {
  it('renders the subset: emphasis, code, quotes, lists, links', () => {
    const tree = markdownTree(
      '*em* **strong** ~~gone~~ `code`\n\n> quoted\n\n- one\n- two\n\n3. three\n\n```\nblock <b>\n```\n\n[site](https://example.com/a)',
    );
    const tags = elements(tree).map((e) => e.tag);
    for (const tag of ['em', 'strong', 's', 'code', 'blockquote', 'ul', 'ol', 'li', 'pre', 'a']) {
      expect(tags).toContain(tag);
    }
    const ol = elements(tree).find((e) => e.tag === 'ol');
    expect(ol?.start).toBe(3);
    const pre = elements(tree).find((e) => e.tag === 'pre');
    expect(treeText(pre?.children ?? [])).toBe('block <b>');
  });

  it('keeps HTML as text: no tag but the allowed ones ever comes out', () => {
    const inputs = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '<a href="javascript:alert(1)">x</a>',
      '<iframe src="//evil.example"></iframe>',
      '<style>body{display:none}</style>',
      '&lt;b&gt; &#60;script&#62;',
    ];
    for (const input of inputs) {
      const tree = markdownTree(input);
      for (const e of elements(tree)) expect(ALLOWED.has(e.tag)).toBe(true);
      expect(links(input)).toEqual([]);
      // The text survives as written.
      expect(treeText(tree)).toContain(input.includes('&') ? '&lt;b&gt;' : input.slice(0, 8));
    }
  });

  it('never links to javascript:, data:, vbscript: or file: addresses', () => {
    for (const href of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html;base64,PHNjcmlwdD4=',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
    ]) {
      expect(links(`[click](${href})`)).toEqual([]);
      expect(links(`<${href}>`)).toEqual([]);
      expect(treeText(markdownTree(`[click](${href})`))).toContain('click');
    }
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('https://example.com')).toBe('https://example.com/');
  });

  it('links bare URLs and shows the real target of a labelled link', () => {
    const bare = links('see https://example.com/x now');
    expect(bare.map((a) => a.href)).toEqual(['https://example.com/x']);
    expect(elements(markdownTree('see https://example.com/x')).map((e) => e.tag)).not.toContain(
      'target',
    );
    const tree = markdownTree('[your bank](https://evil.example/login)');
    const target = elements(tree).find((e) => e.tag === 'target');
    expect(treeText(target?.children ?? [])).toBe(' (evil.example)');
    // Not fuzzy: a bare domain stays text.
    expect(links('example.com')).toEqual([]);
  });

  it('drops images and headings, keeping their text', () => {
    const tree = markdownTree('# Title\n\n![alt](https://tracker.example/p.gif)');
    expect(elements(tree).map((e) => e.tag)).not.toContain('img');
    expect(treeText(tree)).toContain('# Title');
  });

  it('highlights mentions, the reader more strongly, but not inside code or links', () => {
    const tree = markdownTree('hi @Bob and @carl, `@dave` [@eve](https://e.example)', {
      me: 'bob',
    });
    const mentions = elements(tree).filter((e) => e.tag === 'mention');
    expect(mentions.map((m) => [treeText(m.children), m.me])).toEqual([
      ['@Bob', true],
      ['@carl', false],
    ]);
    expect(elements(markdownTree('mail bob@example.com')).map((e) => e.tag)).not.toContain(
      'mention',
    );
  });
});
