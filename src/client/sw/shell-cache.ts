// The service worker's rules, without the worker globals so unit tests can run
// them: which requests belong to the app shell, and how they are answered.

/** Files of the app shell, relative to the worker's scope; '' is the page itself. */
export const SHELL_FILES: readonly string[] = ['', 'app.js', 'styles.css', 'favicon.svg'];

/** Prefix of the worker's cache names; other versions with it are deleted on activate. */
export const CACHE_PREFIX = 'parley-shell-';

/** How long a shell request waits for the network before a cached copy is used. */
export const NETWORK_TIMEOUT_MS = 4_000;

export interface ShellRequest {
  readonly url: string;
  readonly method: string;
  readonly mode: string;
}

/**
 * The cache key (an absolute URL) of a request the shell cache answers, or null
 * for everything else: the API, /docs, /metrics, other origins, any other file.
 * Those go to the network untouched and are never stored. (WebSocket connections
 * never reach a service worker at all.) A navigation to the page, with any query,
 * maps to the page itself: the app routes by the URL's hash.
 */
export function shellKey(req: ShellRequest, scope: string): string | null {
  if (req.method !== 'GET') return null;
  const base = new URL(scope);
  const url = new URL(req.url);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return null;
  const rest = url.pathname.slice(base.pathname.length);
  if (req.mode === 'navigate') return rest === '' || rest === 'index.html' ? base.href : null;
  if (rest === '' || !SHELL_FILES.includes(rest)) return null;
  return new URL(rest, base).href;
}

/** The part of the Cache API used here. */
export interface ShellCache {
  match(key: string): Promise<Response | undefined>;
  put(key: string, response: Response): Promise<void>;
}

export interface NetworkFirstDeps {
  cache: ShellCache;
  fetch: (request: Request) => Promise<Response>;
  /** Keeps the worker alive for the background cache update. */
  waitUntil: (work: Promise<unknown>) => void;
  timeoutMs?: number;
}

/**
 * Network first, so a deploy reaches everyone who is online; each good answer
 * refreshes the cached copy. The cached copy answers when the network fails, is
 * slower than `timeoutMs`, or returns a 5xx (a reverse proxy in front of a stopped
 * server); a 404 or redirect stands. With nothing cached the network's answer (or
 * error) is passed on as it is.
 */
export async function networkFirst(
  request: Request,
  key: string,
  deps: NetworkFirstDeps,
): Promise<Response> {
  const network = deps.fetch(request).then((res) => {
    // A redirected response may not answer a navigation; don't keep one.
    if (res.ok && !res.redirected) {
      deps.waitUntil(deps.cache.put(key, res.clone()).catch(() => undefined));
    }
    return res;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), deps.timeoutMs ?? NETWORK_TIMEOUT_MS);
  });
  const first = await Promise.race([network.catch(() => 'failed' as const), timeout]);
  clearTimeout(timer);
  if (first instanceof Response && first.status < 500) return first;
  const cached = await deps.cache.match(key);
  if (cached) return cached;
  return network;
}
