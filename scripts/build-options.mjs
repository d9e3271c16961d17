// esbuild options shared by `npm run build` and the benchmark's private build:
// Node ESM bundles with dependencies left in node_modules.
export const NODE_BUNDLE = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
};
