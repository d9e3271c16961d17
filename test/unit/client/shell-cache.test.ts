// The service worker's rules, run against Node's fetch Request/Response and an
// in-memory cache (the worker itself is exercised in test/e2e/offline.test.ts).
import { describe, expect, it } from 'vitest';
import { networkFirst, type ShellCache, shellKey } from '../../../src/client/sw/shell-cache.js';

const SCOPE = 'http://127.0.0.1:8080/';

class MemoryCache implements ShellCache {
  readonly map = new Map<string, Response>();
  async match(key: string) {
    return this.map.get(key)?.clone();
  }
  async put(key: string, res: Response) {
    this.map.set(key, res);
  }
}

function deps(cache: MemoryCache, fetch: (r: Request) => Promise<Response>, timeoutMs = 1_000) {
  const work: Promise<unknown>[] = [];
  return { cache, fetch, timeoutMs, waitUntil: (p: Promise<unknown>) => work.push(p), work };
}

const req = (path: string, mode = 'no-cors', method = 'GET') => ({
  url: new URL(path, SCOPE).href,
  mode,
  method,
});

describe('shellKey', () => {
  it('answers the page and its assets, nothing else', () => {
    expect(shellKey(req('/', 'navigate'), SCOPE)).toBe(SCOPE);
    expect(shellKey(req('/?room=1', 'navigate'), SCOPE)).toBe(SCOPE);
    expect(shellKey(req('/index.html', 'navigate'), SCOPE)).toBe(SCOPE);
    expect(shellKey(req('/app.js'), SCOPE)).toBe(`${SCOPE}app.js`);
    expect(shellKey(req('/styles.css?v=2'), SCOPE)).toBe(`${SCOPE}styles.css`);
    expect(shellKey(req('/favicon.svg'), SCOPE)).toBe(`${SCOPE}favicon.svg`);
    for (const path of [
      '/api/chat/rooms',
      '/api/chat/rooms/x/messages',
      '/docs',
      '/metrics',
      '/health',
      '/app.js.map',
      '/sw.js',
      '/ws/chat/x',
    ]) {
      expect(shellKey(req(path), SCOPE), path).toBeNull();
      expect(shellKey(req(path, 'navigate'), SCOPE), path).toBeNull();
    }
    expect(shellKey(req('/', 'navigate', 'POST'), SCOPE)).toBeNull();
    expect(
      shellKey({ url: 'http://other.example/app.js', mode: 'cors', method: 'GET' }, SCOPE),
    ).toBeNull();
  });
});

describe('networkFirst', () => {
  const key = SCOPE;
  const request = () => new Request(SCOPE);

  it('answers from the network when it can, and refreshes the cached copy', async () => {
    const cache = new MemoryCache();
    cache.map.set(key, new Response('old'));
    const d = deps(cache, async () => new Response('new'));
    const res = await networkFirst(request(), key, d);
    expect(await res.text()).toBe('new');
    await Promise.all(d.work);
    expect(await (await cache.match(key))?.text()).toBe('new');
  });

  it('falls back to the cached copy when the network fails, or answers 5xx', async () => {
    const cache = new MemoryCache();
    cache.map.set(key, new Response('shell'));
    const refused = await networkFirst(
      request(),
      key,
      deps(cache, async () => {
        throw new TypeError('Failed to fetch');
      }),
    );
    expect(await refused.text()).toBe('shell');
    const badGateway = deps(cache, async () => new Response('nginx: 502', { status: 502 }));
    expect(await (await networkFirst(request(), key, badGateway)).text()).toBe('shell');
    // An error page is never stored over the good copy.
    expect(badGateway.work).toHaveLength(0);
    expect(await (await cache.match(key))?.text()).toBe('shell');
  });

  it('falls back when the network hangs, but waits for it when nothing is cached', async () => {
    const cache = new MemoryCache();
    let answer: (r: Response) => void = () => undefined;
    const slow = () => new Promise<Response>((resolve) => (answer = resolve));
    cache.map.set(key, new Response('shell'));
    expect(await (await networkFirst(request(), key, deps(cache, slow, 20))).text()).toBe('shell');
    cache.map.clear();
    const pending = networkFirst(request(), key, deps(cache, slow, 20));
    await new Promise((r) => setTimeout(r, 50));
    answer(new Response('late but real'));
    expect(await (await pending).text()).toBe('late but real');
  });

  it('passes a 404 through, and the network error on when nothing is cached', async () => {
    const cache = new MemoryCache();
    cache.map.set(key, new Response('shell'));
    const notFound = await networkFirst(
      request(),
      key,
      deps(cache, async () => new Response('gone', { status: 404 })),
    );
    expect(notFound.status).toBe(404);
    cache.map.clear();
    await expect(
      networkFirst(
        request(),
        key,
        deps(cache, async () => {
          throw new TypeError('Failed to fetch');
        }),
      ),
    ).rejects.toThrow('Failed to fetch');
  });
});
