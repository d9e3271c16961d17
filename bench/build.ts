// Bundles the servers under test like `npm run build` bundles Parley (Node ESM,
// dependencies external), into a private folder: a concurrent `npm run build`
// empties dist/, and a run must not lose (or half-rebuild) its servers midway.
// node_modules/.cache/ resolves packages from the project's node_modules.
import { build } from 'esbuild';
import { NODE_BUNDLE } from '../scripts/build-options.mjs';

export const BUILD_DIR = 'node_modules/.cache/parley-bench';

export async function buildServers(): Promise<void> {
  await build({
    ...NODE_BUNDLE,
    entryPoints: {
      parley: 'src/server/main.ts',
      'bare-ws-server': 'bench/baselines/bare-ws-server.ts',
      'socketio-server': 'bench/baselines/socketio-server.ts',
    },
    outdir: BUILD_DIR,
  });
}
