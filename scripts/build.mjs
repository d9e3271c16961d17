// Builds the server (dist/server/main.js; cluster.js, the supervisor that
// `npm start` and `npm run start:cluster` run, which forks main.js once per worker;
// and admin.js for `npm run backup`, `restore` and `bump-epoch`) and the browser
// client (one minified bundle plus static assets, then the service worker that
// caches them) into dist/.
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { build } from 'esbuild';
import { NODE_BUNDLE } from './build-options.mjs';

await rm('dist', { recursive: true, force: true });
await mkdir('dist/public', { recursive: true });

await Promise.all([
  build({
    ...NODE_BUNDLE,
    entryPoints: {
      main: 'src/server/main.ts',
      cluster: 'src/server/cluster.ts',
      admin: 'src/server/admin.ts',
    },
    outdir: 'dist/server',
  }),
  build({
    entryPoints: ['src/client/main.ts'],
    outfile: 'dist/public/app.js',
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  }),
  cp('src/client/public', 'dist/public', { recursive: true }),
]);

// The worker names its cache after the shell files it keeps, so a new build
// installs a fresh copy (and drops the old one) on the next visit.
const shellHash = createHash('sha256');
for (const file of ['index.html', 'app.js', 'styles.css', 'favicon.svg']) {
  shellHash.update(await readFile(`dist/public/${file}`));
}
await build({
  entryPoints: ['src/client/sw.ts'],
  outfile: 'dist/public/sw.js',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  define: { __SHELL_VERSION__: JSON.stringify(shellHash.digest('hex').slice(0, 12)) },
  logLevel: 'warning',
});
