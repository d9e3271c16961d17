// Command-line options of the small bench scripts (`npx tsx bench/<script>.ts --name=N`).

/** `--name=N` as a number, or `fallback` when absent. */
export function numberOption(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.slice(name.length + 3)) : fallback;
}
