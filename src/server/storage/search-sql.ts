// Parsed search phrases (normalized tokens, protocol/search-text.ts) written in
// each backend's query language. Tokens hold only letters, digits and marks, but
// they are quoted and escaped all the same: nothing a person types is ever syntax.

type Phrases = readonly (readonly string[])[];

/** An FTS5 MATCH expression: each phrase quoted, joined by `op`; null for none. */
export function ftsMatch(phrases: Phrases, op: 'AND' | 'OR' = 'AND'): string | null {
  if (phrases.length === 0) return null;
  return phrases.map((p) => `"${p.join(' ').replaceAll('"', '""')}"`).join(` ${op} `);
}

const lexeme = (t: string): string => `'${t.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;

/** A to_tsquery('simple', …) text: phrases with <->, joined by `op`; null for none. */
export function tsQuery(phrases: Phrases, op: '&' | '|' = '&'): string | null {
  if (phrases.length === 0) return null;
  return phrases.map((p) => `(${p.map(lexeme).join(' <-> ')})`).join(` ${op} `);
}
