// Builds the server (Node ESM, dependencies left external) and the browser client
// (one minified bundle plus static assets) into dist/.
import { cp, mkdir, rm } from 'node:fs/promises';
import { build } from 'esbuild';

const watch = process.argv.includes('--watch');
await rm('dist', { recursive: true, force: true });
await mkdir('dist/public', { recursive: true });

await Promise.all([
  build({
    entryPoints: ['src/server/main.ts'],
    outfile: 'dist/server/main.js',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  }),
  // `npm run start:cluster`: forks dist/server/main.js once per worker
  build({
    entryPoints: ['src/server/cluster.ts'],
    outfile: 'dist/server/cluster.js',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  }),
  build({
    entryPoints: ['src/client/main.ts'],
    outfile: 'dist/public/app.js',
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: !watch,
    sourcemap: true,
    logLevel: 'warning',
  }),
  cp('src/client/public', 'dist/public', { recursive: true }),
]);
