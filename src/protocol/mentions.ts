// `@name` mentions, found the same way by the server (which stores them with the
// message) and the client (which highlights them). A name is letters, digits and
// `_ . -`, after a start of text, whitespace or opening punctuation, so e-mail
// addresses (`bob@example.com`) are not mentions. Names with spaces cannot be
// mentioned; the composer completes names without them (Slack's handles work alike).

const MENTION = /(^|[\s([{"'“‘>])@([\p{L}\p{N}_][\p{L}\p{N}_.-]*)/gu;

/** A mention ends before trailing dots and dashes: "@carl." mentions carl. */
function trimName(name: string): string {
  return name.replace(/[.-]+$/u, '');
}

/** The names mentioned in `content`, NFC, deduplicated case-insensitively, in order of first mention. */
export function extractMentions(content: string): string[] {
  if (!content.includes('@')) return [];
  const seen = new Set<string>();
  const names: string[] = [];
  for (const match of content.normalize('NFC').matchAll(MENTION)) {
    const name = trimName(match[2] ?? '');
    const key = name.toLowerCase();
    if (name === '' || seen.has(key)) continue;
    seen.add(key);
    names.push(name);
  }
  return names;
}

/** Whether `mentions` (from a message) name `username` (case-insensitive). */
export function mentionsUser(mentions: readonly string[] | undefined, username: string): boolean {
  if (!mentions || mentions.length === 0) return false;
  const key = username.toLowerCase();
  return mentions.some((name) => name.toLowerCase() === key);
}

/** Where each mention sits in `content`: [start, end) of the `@name` text, for highlighting. */
export function mentionRanges(content: string): { start: number; end: number; name: string }[] {
  const ranges: { start: number; end: number; name: string }[] = [];
  if (!content.includes('@')) return ranges;
  for (const match of content.matchAll(MENTION)) {
    const name = trimName(match[2] ?? '');
    if (name === '') continue;
    const start = (match.index ?? 0) + (match[1] ?? '').length;
    ranges.push({ start, end: start + 1 + name.length, name });
  }
  return ranges;
}
