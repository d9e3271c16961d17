// Invite links are `<origin>/?invite=CODE`: the code is read once at start-up and
// then removed from the address bar, so a reload, a bookmark or a shared screenshot
// does not carry it further.

/** The invite code in a location's query string, or null. */
export function inviteFromSearch(search: string): string | null {
  let code: string | null;
  try {
    code = new URLSearchParams(search).get('invite');
  } catch {
    return null;
  }
  const trimmed = code?.trim() ?? '';
  return trimmed.length > 0 && trimmed.length <= 512 ? trimmed : null;
}

/** `href` without its `invite` parameter (other parameters and the hash kept). */
export function withoutInvite(href: string): string {
  const url = new URL(href);
  if (!url.searchParams.has('invite')) return href;
  url.searchParams.delete('invite');
  return url.toString();
}
