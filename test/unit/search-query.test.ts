import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatSearchQuery,
  highlightRanges,
  MAX_QUERY_LENGTH,
  parseSearchQuery,
  type SearchQuery,
} from '../../src/protocol/search-query.js';
import { indexText, normalizeToken, tokenize } from '../../src/protocol/search-text.js';

const parsed = (text: string): SearchQuery => {
  const r = parseSearchQuery(text);
  if (!r.ok) throw new Error(`expected a query from ${JSON.stringify(text)}: ${r.message}`);
  return r.query;
};

// Strings likely to hit the syntax: operators, quotes, dashes, scripts, emoji.
const syntaxy = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '"',
        '-',
        ' ',
        '\\',
        ':',
        'from:',
        'in:',
        'before:',
        'after:',
        'FROM:',
        '2024-02-29',
        '2023-02-29',
        'é',
        'Ü',
        'ß',
        'İ',
        '東京',
        'カタカナ',
        '한국어',
        'привет',
        '🎉',
        '👩🏽‍💻',
        'e\u0301',
        '\u093f',
        'a-b',
        'x.y',
        '\u0000',
        '\t',
        '\n',
        'NOT',
        'OR',
        '*',
        '(',
        ')',
        "'",
        '&',
        '|',
        '!',
        '<->',
      ),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
    ),
    { maxLength: 14 },
  )
  .map((parts) => parts.join(''));
const anyInput = fc.oneof(syntaxy, fc.string({ unit: 'binary', maxLength: 60 }));

describe('parseSearchQuery', () => {
  it('is total: any input gives a query or a problem, never a throw', () => {
    fc.assert(
      fc.property(anyInput, (text) => {
        const r = parseSearchQuery(text);
        if (r.ok)
          expect(r.query.include.length + r.query.from.length + r.query.in.length).toBeGreaterThan(
            0,
          );
        else expect(r.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips: a parsed query written back parses to the same query', () => {
    fc.assert(
      fc.property(anyInput, (text) => {
        const r = parseSearchQuery(text);
        if (!r.ok) return;
        const again = parseSearchQuery(formatSearchQuery(r.query));
        expect(again).toEqual(r);
      }),
      { numRuns: 3000 },
    );
  });

  it('parses words, phrases, exclusions and filters', () => {
    expect(
      parsed(
        'Hello "Big World" -spam -"buy now" from:alice in:"Team room" after:2024-01-31 before:2024-03-01',
      ),
    ).toEqual({
      include: [['hello'], ['big', 'world']],
      exclude: [['spam'], ['buy', 'now']],
      from: ['alice'],
      in: ['Team room'],
      after: '2024-01-31',
      before: '2024-03-01',
    });
  });

  it('matches case- and accent-blind, and splits CJK into characters', () => {
    expect(parsed('Crème BRÛLÉE Straße Ёлка').include).toEqual([
      ['creme'],
      ['brulee'],
      ['straße'],
      ['елка'],
    ]);
    expect(parsed('東京タワー').include).toEqual([['東', '京', 'タ', 'ワ', 'ー']]);
    // a word with punctuation inside is the phrase of its parts
    expect(parsed('foo-bar example.com').include).toEqual([
      ['foo', 'bar'],
      ['example', 'com'],
    ]);
  });

  it('treats unknown keys (URLs, times) as text and an unclosed quote as running to the end', () => {
    expect(parsed('https://x.org 10:30').include).toEqual([
      ['https', 'x', 'org'],
      ['10', '30'],
    ]);
    expect(parsed('"unclosed phrase').include).toEqual([['unclosed', 'phrase']]);
    expect(parsed('from:"a \\"q\\" b"').from).toEqual(['a "q" b']);
  });

  it.each([
    ['', 'missing'],
    ['   ', 'missing'],
    ['🎉 !!!', 'missing'],
    ['-spam', 'missing'],
    ['after:2024-01-01', 'missing'],
    ['from:', 'invalid_filter'],
    ['-from:alice x', 'invalid_filter'],
    ['x before:2023-02-29', 'invalid_date'],
    ['x after:yesterday', 'invalid_date'],
    ['x before:2024-01-01 before:2024-01-02', 'duplicate_filter'],
    ['x'.repeat(MAX_QUERY_LENGTH + 1), 'string_too_long'],
    [Array.from({ length: 33 }, (_, i) => `w${i}`).join(' '), 'too_many_terms'],
  ])('refuses %j with a problem of type %s', (text, type) => {
    const r = parseSearchQuery(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.type).toBe(type);
  });
});

describe('search tokens', () => {
  it('normalizes idempotently, and a normalized token is one token', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (text) => {
        for (const t of tokenize(text)) {
          expect(normalizeToken(t.norm)).toBe(t.norm);
          expect(tokenize(t.norm).map((x) => x.norm)).toEqual([t.norm]);
          expect(t.end).toBeGreaterThan(t.start);
        }
        // the index text is its own index text
        expect(indexText(indexText(text))).toBe(indexText(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('indexes ASCII text (its fast path) exactly as the general tokenizer does', () => {
    const general = (text: string) =>
      tokenize(text)
        .map((t) => t.norm)
        .join(' ');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({
            unit: fc.constantFrom('a', 'Z', '0', '9', ' ', '-', '@', '_', '~', '\x7f', '\x00'),
            maxLength: 60,
          }),
          fc.string({ maxLength: 60 }),
          fc.string({ unit: fc.constantFrom('A', 'b', '7'), minLength: 95, maxLength: 210 }),
        ),
        (text) => {
          expect(indexText(text)).toBe(general(text));
        },
      ),
      { numRuns: 3000 },
    );
    expect(indexText('Hello, WORLD! 42 x_y')).toBe('hello world 42 x y');
    expect(indexText('')).toBe('');
    expect(indexText('... !!!')).toBe('');
  });

  it('highlights the matched words and phrases in the original text', () => {
    const content = 'Le Café près de la gare, café au lait. 東京タワーへ行く';
    const q = parsed('cafe "au lait" 東京');
    const marked = highlightRanges(content, q).map(([s, e]) => content.slice(s, e));
    expect(marked).toEqual(['Café', 'café au lait', '東京']);
  });

  it('highlights within bounds, ascending and disjoint, for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), syntaxy, (content, text) => {
        const r = parseSearchQuery(text);
        if (!r.ok) return;
        let last = 0;
        for (const [s, e] of highlightRanges(content, r.query)) {
          expect(s).toBeGreaterThanOrEqual(last);
          expect(e).toBeGreaterThan(s);
          expect(e).toBeLessThanOrEqual(content.length);
          last = e;
        }
      }),
    );
  });
});
