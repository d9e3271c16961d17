// Builds the server (dist/server/main.js, and cluster.js: the supervisor that
// `npm start` and `npm run start:cluster` run, which forks main.js once per
// worker) and the browser client (one minified bundle plus static assets) into dist/.
import { cp, mkdir, rm } from 'node:fs/promises';
import { build } from 'esbuild';
import { NODE_BUNDLE } from './build-options.mjs';

await rm('dist', { recursive: true, force: true });
await mkdir('dist/public', { recursive: true });

await Promise.all([
  build({
    ...NODE_BUNDLE,
    entryPoints: { main: 'src/server/main.ts', cluster: 'src/server/cluster.ts' },
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
