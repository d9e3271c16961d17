// Reading the generated API documents in tests: JSON pointers and $ref checks.

export type Json = Record<string, unknown>;

/** Every `$ref` string anywhere in `doc`. */
export function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

/** Follows a local reference (`#/components/schemas/Room`); undefined when it leads nowhere. */
export function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!node || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

/** Rows of the first Markdown table after `heading`, as trimmed cells (cells must not contain `|`). */
export function markdownTable(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`no heading ${heading}`);
  const rows: string[][] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('|')) {
      inTable = true;
      rows.push(
        line
          .slice(1, -1)
          .split('|')
          .map((c) => c.trim()),
      );
    } else if (inTable) break;
    else if (line.startsWith('#')) break;
  }
  // drop the header row and the --- row
  return rows.slice(2);
}

/** The text between the first pair of backticks. */
export const firstCode = (cell: string): string | undefined => /`([^`]+)`/.exec(cell)?.[1];

/** Every backticked three-digit number in `cell`, e.g. the statuses `422`, `413`. */
export const statusesIn = (cell: string): string[] =>
  [...cell.matchAll(/`(\d{3})`/g)].map((m) => m[1] as string);
