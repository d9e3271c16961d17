// Total parsers for untrusted input: each returns null (never throws) on input it
// cannot read. A throw inside a socket 'upgrade' listener escapes every handler
// and ends the process, so the upgrade path uses only these.

/** `decodeURIComponent`, or null for a malformed escape such as `%ZZ`, `%E0%A4%A` or `%`. */
export function decodePathSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** A request target (`/path?query`) as a URL, or null when it is not one. */
export function parseRequestTarget(target: string | undefined): URL | null {
  if (target === undefined || !target.startsWith('/')) return null;
  try {
    return new URL(target, 'http://localhost');
  } catch {
    return null;
  }
}
