// The Node flags a server process runs with. The supervisor (cluster.ts) starts
// every worker with them, and the benchmarks start Parley with them, so what is
// measured is what runs.

/**
 * A young generation of up to 32 MB per semi-space (V8's default is 16). A busy
 * server holds every message in flight (parsed, queued for its group commit,
 * waiting for its writes) across the young collections of its turn, and each one
 * copies them again: with twice the space, half as many collections copy them.
 * Measured in README "Performance", round 8: 6 to 8% less CPU per delivery at full
 * speed, for up to 32 MB more RSS once a burst of work has grown the space.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/** The name of a flag, without its value: `--max-semi-space-size=32` → `--max-semi-space-size`. */
const flagName = (flag: string): string => flag.split('=')[0] as string;

/**
 * The flags a worker starts with: the supervisor's own (`process.execArgv`), after
 * each of SERVER_NODE_FLAGS that the operator did not set already, on the command
 * line or in NODE_OPTIONS (theirs win).
 */
export function serverExecArgv(execArgv: readonly string[], nodeOptions = ''): string[] {
  const set = [...execArgv, ...nodeOptions.split(/\s+/)].map(flagName);
  const added = SERVER_NODE_FLAGS.filter((flag) => !set.includes(flagName(flag)));
  return [...added, ...execArgv];
}
