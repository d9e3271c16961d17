import { describe, expect, it } from 'vitest';
import {
  contentProblem,
  nameProblem,
  normalizeContent,
  normalizeName,
} from '../../src/protocol/text-rules.js';

const name = (raw: string) => nameProblem(normalizeName(raw), 64);
const content = (raw: string) => contentProblem(normalizeContent(raw), 100);
const hex = (s: string) => [...s].map((c) => (c.codePointAt(0) as number).toString(16));

describe('normalizeName', () => {
  it('trims and composes to NFC, so one name has one spelling', () => {
    expect(normalizeName('  alice \t')).toBe('alice');
    const nfd = 'Jose\u0301';
    const nfc = 'Jos\u00e9';
    expect(nfd).not.toBe(nfc);
    expect(normalizeName(nfd)).toBe(nfc);
    expect(normalizeName(nfc)).toBe(nfc);
    // Hangul jamo compose too
    expect(normalizeName('\u1112\u1161\u11ab')).toBe('\ud55c');
  });
});

describe('nameProblem', () => {
  it('accepts ordinary names in any script, with emoji', () => {
    for (const ok of [
      'alice',
      'Ada Lovelace',
      '日本語',
      'עברית',
      'العربية',
      'José',
      'emoji 😀',
      // ZWJ sequences and presentation selectors are part of their emoji
      'dev 👩‍💻',
      'dev 👩🏽‍💻',
      'pride 🏳️‍🌈',
      'love ❤️‍🔥',
      'family 👨‍👩‍👧‍👦',
      'keycap 1️⃣',
      '<b>html</b> & "quotes"',
    ]) {
      expect([ok, name(ok)]).toEqual([ok, null]);
    }
  });

  it('rejects empty, blank and too long', () => {
    expect(name('')).toBe('empty');
    expect(name('   ')).toBe('empty');
    expect(nameProblem('x'.repeat(11), 10)).toBe('too_long');
    expect(nameProblem('x'.repeat(10), 10)).toBeNull();
  });

  it.each([
    ['\u0000', 'NUL'],
    ['\u0007', 'BEL'],
    ['\t', 'tab'],
    ['\n', 'newline'],
    ['\r', 'carriage return'],
    ['\u001b', 'ESC'],
    ['\u007f', 'DEL'],
    ['\u0080', 'C1 start'],
    ['\u0085', 'NEL'],
    ['\u009b', 'CSI'],
    ['\u009f', 'C1 end'],
    ['\ud800', 'lone high surrogate'],
    ['\udc00', 'lone low surrogate'],
  ])('rejects %j (%s) inside a name as control_chars', (ch) => {
    expect(name(`al${ch}ice`)).toBe('control_chars');
  });

  it.each([
    ['\u00ad', 'soft hyphen'],
    ['\u034f', 'combining grapheme joiner'],
    ['\u061c', 'Arabic letter mark'],
    ['\u115f', 'Hangul choseong filler'],
    ['\u180e', 'Mongolian vowel separator'],
    ['\u200b', 'zero-width space'],
    ['\u200c', 'zero-width non-joiner'],
    ['\u200d', 'zero-width joiner between letters'],
    ['\u200e', 'left-to-right mark'],
    ['\u200f', 'right-to-left mark'],
    ['\u2028', 'line separator'],
    ['\u2029', 'paragraph separator'],
    ['\u202a', 'LRE'],
    ['\u202b', 'RLE'],
    ['\u202c', 'PDF'],
    ['\u202d', 'LRO'],
    ['\u202e', 'RLO'],
    ['\u2060', 'word joiner'],
    ['\u2061', 'function application'],
    ['\u2066', 'LRI'],
    ['\u2067', 'RLI'],
    ['\u2068', 'FSI'],
    ['\u2069', 'PDI'],
    ['\u3164', 'Hangul filler'],
    ['\ufe0f', 'variation selector after a letter'],
    ['\ufe0e', 'text variation selector'],
    ['\ufeff', 'BOM / zero-width no-break space'],
    ['\u{e0041}', 'tag letter'],
  ])('rejects %j (%s) inside a name as invisible_chars', (ch) => {
    expect(name(`al${ch}ice`)).toBe('invisible_chars');
  });

  it('allows ZWJ only between pictographs, not at the edges or beside text', () => {
    expect(name('😀\u200d😀')).toBeNull();
    expect(name('a\u200d😀')).toBe('invisible_chars');
    expect(name('😀\u200da')).toBe('invisible_chars');
    expect(name('😀\u200d')).toBe('invisible_chars');
    expect(name('\u200d😀')).toBe('invisible_chars');
    expect(name('😀\u200d\u200d😀')).toBe('invisible_chars');
  });

  it('does not let a bidi override make one name look like another', () => {
    // "\u202eecila" renders as "alice"
    expect(name('\u202eecila')).toBe('invisible_chars');
    // a trailing BOM is trimmed (it is whitespace to trim()), one inside is refused
    expect(normalizeName('alice\ufeff')).toBe('alice');
    expect(name('ali\ufeffce')).toBe('invisible_chars');
  });

  it('is checked on the normalized form', () => {
    expect(hex(normalizeName(' e\u0301 '))).toEqual(['e9']);
    expect(name(' e\u0301 ')).toBeNull();
  });
});

describe('normalizeContent', () => {
  it('turns CRLF and lone CR into LF and leaves the rest alone', () => {
    expect(normalizeContent('a\r\nb\rc\nd')).toBe('a\nb\nc\nd');
    expect(normalizeContent('\r\r\n\n')).toBe('\n\n\n');
    const same = 'no returns\there';
    expect(normalizeContent(same)).toBe(same);
    // not NFC: content is stored as written
    expect(normalizeContent('e\u0301')).toBe('e\u0301');
  });
});

describe('contentProblem', () => {
  it('accepts prose with tabs, newlines, CRLF, emoji and RTL marks', () => {
    for (const ok of [
      'hello',
      'line one\nline two\ttabbed',
      'windows\r\nline endings\r',
      'family 👨‍👩‍👧‍👦 and 🏳️‍🌈',
      'שלום\u200f (RLM)',
      'soft\u00adhyphen and zero\u200bwidth',
      'Persian ZWNJ: می\u200cخواهم',
    ]) {
      expect([ok, content(ok)]).toEqual([ok, null]);
    }
  });

  it('rejects blank content', () => {
    expect(content('')).toBe('empty');
    expect(content(' \n\t\r\n ')).toBe('empty');
  });

  it('counts length after normalization', () => {
    expect(contentProblem(normalizeContent(`${'x'.repeat(98)}\r\n`), 99)).toBeNull();
  });

  it.each([
    ['\u0000', 'NUL'],
    ['\u0007', 'BEL'],
    ['\u000b', 'vertical tab'],
    ['\u000c', 'form feed'],
    ['\u001b', 'ESC'],
    ['\u007f', 'DEL'],
    ['\u0080', 'C1 start'],
    ['\u0085', 'NEL'],
    ['\u009b', 'CSI'],
    ['\u009f', 'C1 end'],
    ['\ud83d', 'lone surrogate'],
  ])('rejects %j (%s) in content', (ch) => {
    expect(content(`a${ch}b`)).toBe('control_chars');
  });
});
