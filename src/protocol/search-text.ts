// How text becomes search tokens: one definition for the index of both backends
// (SQLite FTS5 and PostgreSQL), the parsed query, and highlighting, so every
// backend matches the same words the same way (README "Search").
//
// A token is a run of letters, digits and marks (Unicode L, N, M, Co). Everything
// else separates tokens: spaces, punctuation, symbols, emoji. Han, Hiragana,
// Katakana and Hangul characters are one token each, since those scripts do not
// separate words with spaces: a CJK word in a query is matched as the phrase of its
// characters, i.e. as a substring. Tokens are compared case- and accent-blind:
// canonical decomposition, combining diacritics U+0300–U+036F and non-letter marks
// removed, lowercase.

/** Tokens longer than this (code points) are cut, in documents and queries alike. */
export const MAX_TOKEN_LENGTH = 100;

const WORD = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const CJK_SPLIT =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]\p{M}*|[^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;
// Accents of Latin, Greek and Cyrillic, and marks that are not letters (the
// Indic virama, Hebrew points…), which PostgreSQL's parser would split words at.
const DIACRITICS = /[\u0300-\u036f]|(?!\p{Alphabetic})\p{M}/gu;
const NON_WORD = /[^\p{L}\p{N}\p{M}\p{Co}]/u;

/** One token of a text: where it is (UTF-16 offsets) and its normalized form. */
export interface Token {
  start: number;
  end: number;
  norm: string;
}

/** The compared form of one token (see the module comment). */
export function normalizeToken(word: string): string {
  let norm = word.normalize('NFD').replace(DIACRITICS, '').toLowerCase().normalize('NFC');
  // Lowercasing never makes a non-word character of a letter, but be sure: the
  // index must see one token here, never two.
  if (NON_WORD.test(norm)) norm = norm.replace(new RegExp(NON_WORD.source, 'gu'), '');
  if (norm.length > MAX_TOKEN_LENGTH) {
    const points = Array.from(norm);
    if (points.length > MAX_TOKEN_LENGTH) norm = points.slice(0, MAX_TOKEN_LENGTH).join('');
  }
  return norm;
}

/** The tokens of `text`, in order. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(WORD)) {
    const word = m[0];
    const at = m.index;
    if (!CJK.test(word)) {
      const norm = normalizeToken(word);
      if (norm) out.push({ start: at, end: at + word.length, norm });
      continue;
    }
    for (const part of word.matchAll(CJK_SPLIT)) {
      const norm = normalizeToken(part[0]);
      if (norm) out.push({ start: at + part.index, end: at + part.index + part[0].length, norm });
    }
  }
  return out;
}

/**
 * What the index stores for a message: its tokens, normalized, one space apart.
 * Both FTS5 (unicode61 with marks as token characters) and PostgreSQL's 'simple'
 * configuration split this on spaces only, so both index the same tokens at the
 * same positions.
 */
export function indexText(content: string): string {
  // Most messages are ASCII, where the rules above reduce to runs of letters and
  // digits, lowercased (no marks, no CJK, normalization changes nothing): the
  // same tokens for about a third of the work, on the send path of every message.
  if (ASCII.test(content)) {
    const words = content.match(ASCII_WORD);
    if (!words) return '';
    for (let i = 0; i < words.length; i++) {
      const word = (words[i] as string).toLowerCase();
      words[i] = word.length > MAX_TOKEN_LENGTH ? word.slice(0, MAX_TOKEN_LENGTH) : word;
    }
    return words.join(' ');
  }
  return tokenize(content)
    .map((t) => t.norm)
    .join(' ');
}

const ASCII = /^[\x00-\x7f]*$/;
/** WORD within ASCII: \p{L} and \p{N} are the letters and digits there, \p{M} and \p{Co} nothing. */
const ASCII_WORD = /[A-Za-z0-9]+/g;
