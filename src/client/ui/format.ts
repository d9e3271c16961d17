// Formatting of names, times and avatars for display.

/** Parses an ISO 8601 timestamp; one without a zone is taken as UTC (the original API's style). */
export function parseTimestamp(iso: string): Date {
  let s = iso.trim();
  // More than millisecond precision confuses some engines.
  s = s.replace(/(\.\d{3})\d+/, '$1');
  if (!/(z|[+-]\d\d:?\d\d)$/i.test(s)) s += 'Z';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? new Date(iso) : d;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });
const dayFmt = new Intl.DateTimeFormat(undefined, {
  weekday: 'long',
  month: 'long',
  day: 'numeric',
});
const dayYearFmt = new Intl.DateTimeFormat(undefined, {
  weekday: 'long',
  month: 'long',
  day: 'numeric',
  year: 'numeric',
});
const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function formatTime(d: Date): string {
  return timeFmt.format(d);
}

export function formatFull(d: Date): string {
  return fullFmt.format(d);
}

export function formatDate(d: Date): string {
  return dateFmt.format(d);
}

/** A key that is equal for two dates on the same local day. */
export function dayKey(d: Date): string {
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

export function dayLabel(d: Date, now = new Date()): string {
  const today = dayKey(now);
  if (dayKey(d) === today) return 'Today';
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (dayKey(d) === dayKey(y)) return 'Yesterday';
  return d.getFullYear() === now.getFullYear() ? dayFmt.format(d) : dayYearFmt.format(d);
}

/** One or two letters for an avatar ("Ada Lovelace" -> "AL"), emoji-safe. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const first = Array.from(words[0] ?? '?')[0] ?? '?';
  const second = words.length > 1 ? (Array.from(words[words.length - 1] ?? '')[0] ?? '') : '';
  return (first + second).toLocaleUpperCase();
}

export const AVATAR_COLORS = 10;

/** A stable color slot (0..AVATAR_COLORS-1) for a name. */
export function colorIndex(name: string): number {
  // FNV-1a: cheap, and stable across sessions and browsers.
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % AVATAR_COLORS;
}

/** "1 person online", "3 people online". */
export function onlineText(n: number): string {
  return n === 1 ? '1 person online' : `${n} people online`;
}
