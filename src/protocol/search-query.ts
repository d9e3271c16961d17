// The search query language, parsed once for the server, the web client and the
// tests (README "Search"). Total: any string gives a query or a problem a person
// can read, never an exception.
//
//   words            every word must occur (in any order)
//   "exact phrase"   these words, adjacent and in this order
//   -word -"phrase"  must not occur
//   from:name        sent by this user (from:"two words" with spaces)
//   in:room          in the room of this name (in:"Room name")
//   after:YYYY-MM-DD on or after that day (UTC)
//   before:YYYY-MM-DD before that day (UTC)
//
// Words are matched as tokens (search-text.ts): case- and accent-blind, whole
// words; `foo-bar` or `example.com` is the phrase of its parts. An unclosed quote
// runs to the end. Inside quotes, `\"` and `\\` stand for `"` and `\`. Any other
// `key:value` (a URL, a time) is ordinary text.

import { tokenize } from './search-text.js';

export const MAX_QUERY_LENGTH = 500;
/** Tokens in all words and phrases together. */
export const MAX_QUERY_TOKENS = 32;
/** from: and in: values each. */
export const MAX_QUERY_FILTERS = 10;

export interface SearchQuery {
  /** Must all occur: each entry is a phrase of normalized tokens (one token: a word). */
  include: string[][];
  /** Must not occur, each a phrase as above. */
  exclude: string[][];
  /** Any of these usernames (exact, NFC). */
  from: string[];
  /** Any of the rooms with these names (exact, NFC). */
  in: string[];
  /** YYYY-MM-DD: messages on or after the start of this day (UTC). */
  after?: string;
  /** YYYY-MM-DD: messages before the start of this day (UTC). */
  before?: string;
}

export type SearchQueryProblemType =
  | 'missing'
  | 'string_too_long'
  | 'too_many_terms'
  | 'invalid_date'
  | 'duplicate_filter'
  | 'invalid_filter';

export type SearchQueryResult =
  | { ok: true; query: SearchQuery }
  | { ok: false; message: string; type: SearchQueryProblemType };

const FILTER = /^(from|in|before|after):/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const SPACE = /\s/u;

/** A real calendar day written YYYY-MM-DD (years 0001–9999), else null. */
export function parseDay(text: string): string | null {
  const m = DATE.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1) return null;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    return null;
  }
  return text;
}

/** Whether the query has anything to look for besides exclusions. */
export function isSearchable(q: SearchQuery): boolean {
  return q.include.length > 0 || q.from.length > 0 || q.in.length > 0;
}

const fail = (message: string, type: SearchQueryProblemType): SearchQueryResult => ({
  ok: false,
  message,
  type,
});

/** Parses what a person typed into the search box. */
export function parseSearchQuery(input: string): SearchQueryResult {
  if (input.length > MAX_QUERY_LENGTH) {
    return fail(`The search is longer than ${MAX_QUERY_LENGTH} characters`, 'string_too_long');
  }
  const q: SearchQuery = { include: [], exclude: [], from: [], in: [] };
  let tokens = 0;
  let i = 0;
  const n = input.length;

  /** A quoted string starting at `i` (on the quote); unclosed runs to the end. */
  const quoted = (): string => {
    let out = '';
    i++;
    while (i < n) {
      const c = input[i] as string;
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\' && (input[i + 1] === '"' || input[i + 1] === '\\')) {
        out += input[i + 1];
        i += 2;
        continue;
      }
      out += c;
      i++;
    }
    return out;
  };
  /** A bare chunk: up to the next whitespace. */
  const bare = (): string => {
    const start = i;
    while (i < n && !SPACE.test(input[i] as string)) i++;
    return input.slice(start, i);
  };

  while (i < n) {
    if (SPACE.test(input[i] as string)) {
      i++;
      continue;
    }
    let negated = false;
    if (input[i] === '-' && i + 1 < n && !SPACE.test(input[i + 1] as string)) {
      negated = true;
      i++;
    }
    let text: string;
    if (input[i] === '"') {
      text = quoted();
    } else {
      const rest = input.slice(i);
      const filter = FILTER.exec(rest);
      if (filter) {
        const key = (filter[1] as string).toLowerCase() as 'from' | 'in' | 'before' | 'after';
        i += filter[0].length;
        const value = (input[i] === '"' ? quoted() : bare()).trim().normalize('NFC');
        if (negated) {
          return fail(`Only words and phrases can be excluded, not ${key}:`, 'invalid_filter');
        }
        if (value === '') return fail(`${key}: needs a value`, 'invalid_filter');
        if (key === 'from' || key === 'in') {
          if (!q[key].includes(value)) q[key].push(value);
          if (q[key].length > MAX_QUERY_FILTERS) {
            return fail(`At most ${MAX_QUERY_FILTERS} ${key}: filters`, 'too_many_terms');
          }
        } else {
          const day = parseDay(value);
          if (!day) {
            return fail(`${key}: needs a date written YYYY-MM-DD, not "${value}"`, 'invalid_date');
          }
          if (q[key] !== undefined && q[key] !== day) {
            return fail(`${key}: is given twice`, 'duplicate_filter');
          }
          q[key] = day;
        }
        continue;
      }
      text = bare();
    }
    const phrase = tokenize(text).map((t) => t.norm);
    if (phrase.length === 0) continue;
    tokens += phrase.length;
    if (tokens > MAX_QUERY_TOKENS) {
      return fail(`At most ${MAX_QUERY_TOKENS} words in a search`, 'too_many_terms');
    }
    const list = negated ? q.exclude : q.include;
    if (!list.some((p) => p.length === phrase.length && p.every((t, k) => t === phrase[k]))) {
      list.push(phrase);
    }
  }
  if (!isSearchable(q)) {
    return fail(
      q.exclude.length > 0 || q.after || q.before
        ? 'Add a word, a phrase, from: or in: to search for'
        : 'Type a word to search for (punctuation and emoji alone are not searchable)',
      'missing',
    );
  }
  return { ok: true, query: q };
}

const quote = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** The query written back as text; parsing it gives the same query. */
export function formatSearchQuery(q: SearchQuery): string {
  const phrase = (p: string[]) => (p.length === 1 ? (p[0] as string) : quote(p.join(' ')));
  return [
    ...q.include.map(phrase),
    ...q.exclude.map((p) => `-${phrase(p)}`),
    ...q.from.map((v) => `from:${quote(v)}`),
    ...q.in.map((v) => `in:${quote(v)}`),
    ...(q.after ? [`after:${q.after}`] : []),
    ...(q.before ? [`before:${q.before}`] : []),
  ].join(' ');
}

/**
 * Where `content` matches the query's words and phrases: [start, end) UTF-16
 * offsets, ascending and disjoint, adjacent tokens of a phrase merged into one
 * range. For showing, never for deciding what matches (the index does that).
 */
export function highlightRanges(content: string, q: SearchQuery): [number, number][] {
  const tokens = tokenize(content);
  const hit = new Array<boolean>(tokens.length).fill(false);
  for (const phrase of q.include) {
    for (let s = 0; s + phrase.length <= tokens.length; s++) {
      if (phrase.every((t, k) => tokens[s + k]?.norm === t)) {
        for (let k = 0; k < phrase.length; k++) hit[s + k] = true;
      }
    }
  }
  const out: [number, number][] = [];
  let open: [number, number] | null = null;
  tokens.forEach((t, k) => {
    if (!hit[k]) {
      open = null;
      return;
    }
    // Matched tokens with only spaces between (a phrase, a CJK run) become one range.
    if (open && hit[k - 1] && /^\s*$/u.test(content.slice(open[1], t.start))) open[1] = t.end;
    else {
      open = [t.start, t.end];
      out.push(open);
    }
  });
  return out;
}
