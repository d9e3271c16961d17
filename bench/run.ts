// `npm run bench [-- --quick] [-- --sessions=room-10,idle] [-- --servers=parley,bare]`
// Runs every cell against Parley (open mode and accounts mode) and the three
// baselines, alternating servers,
// and writes bench/results/{latest|quick}.{md,json,svg}. A full run also puts
// the latest table into bench/README.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { buildServers } from './build.js';
import {
  type CellContext,
  type CellDef,
  type CellResult,
  FULL,
  QUICK,
  runSession,
  sessionDefs,
} from './cells.js';
import type { IdleResult, JoinStormResult, LoadResult } from './load-generator.js';
import { prefillHistory } from './prefill.js';
import { openFileLimit, waitForQuiet } from './proc.js';
import {
  type CellRecord,
  checkTargets,
  type Report,
  type RunRecord,
  summarizeCell,
  toMarkdown,
  toSvg,
} from './report.js';
import { SERVER_KINDS, SERVER_LABEL, type ServerKind, setUpPinning } from './servers.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

if (flag('help')) {
  console.log(`npm run bench -- [options]
  --quick            smoke profile (< 2 minutes)
  --sessions=a,b     only these sessions (${sessionDefs(FULL)
    .map((s) => s.id)
    .join(', ')})
  --servers=a,b      only these servers (${SERVER_KINDS.join(', ')});
                     parley-accounts is Parley with CHAT_AUTH=accounts (one account per client)
  --reps=N           runs per cell and server
  --no-pin           do not pin server and load generator to separate cores
  --no-nice          do not raise the priority of servers and load generator (nice -10)
  --no-readme        do not update bench/README.md
  --no-search        skip the search latency run that follows a full run (bench/search.ts)
  --no-wait          do not wait for a quiet machine before each run
  --render=file.json rewrite the Markdown and chart of an earlier run (no new measurements)`);
  process.exit(0);
}

const profile = { ...(flag('quick') ? QUICK : FULL) };
if (option('reps')) profile.reps = Math.max(1, Number(option('reps')));
const onlySessions = option('sessions')?.split(',');
const onlyServers = option('servers')?.split(',') as ServerKind[] | undefined;
const unknown = onlyServers?.filter((k) => !SERVER_KINDS.includes(k));
if (unknown?.length) {
  console.error(`unknown server ${unknown.join(', ')}: pick from ${SERVER_KINDS.join(', ')}`);
  process.exit(2);
}

const pinning = setUpPinning('0', '1', !flag('no-pin'), flag('no-nice') ? 0 : -10);
const fdLimit = openFileLimit('self');
if (fdLimit < profile.idleConnections + 500) {
  const fit = Math.max(100, Math.floor((fdLimit - 500) / 1000) * 1000);
  console.error(
    `open-file limit ${fdLimit}: idle cell reduced to ${fit} connections (raise with ulimit -n)`,
  );
  profile.idleConnections = fit;
}

const keep = (k: ServerKind) => !onlyServers || onlyServers.includes(k);
const sessions = sessionDefs(profile)
  .filter((s) => !onlySessions || onlySessions.includes(s.id))
  .map((s) => ({
    ...s,
    servers: s.servers.filter(keep),
    cells: s.cells.map((c) => ({ ...c, servers: c.servers.filter(keep) })),
  }))
  .filter((s) => s.servers.length > 0);
const cells: CellDef[] = sessions.flatMap((s) => s.cells);

const started = Date.now();
const totalRuns = sessions.reduce((n, s) => n + s.servers.length * profile.reps, 0);
let runNo = 0;
const tty = process.stderr.isTTY;
const clock = () => {
  const s = Math.round((Date.now() - started) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
let current = '';
const progress = (text: string) => {
  if (!tty) return;
  process.stderr.write(`\r\x1b[K[${runNo}/${totalRuns} ${clock()}] ${current} · ${text}`);
};
const done = (line: string) => {
  process.stderr.write(`${tty ? '\r\x1b[K' : ''}[${runNo}/${totalRuns} ${clock()}] ${line}\n`);
};

function oneLine(def: CellDef, result: CellResult): string {
  const label = def.id;
  return `${label}: ${summaryOf(def, result)}`;
}

function summaryOf(def: CellDef, result: CellResult): string {
  if (def.kind === 'load') {
    const r = result as LoadResult;
    const k = r.correctness;
    return `${r.serverCpuUsPerDelivery.toFixed(2)} µs/delivery, ${r.deliveriesPerSec.toLocaleString('en-US')} deliveries/s, p99 ${r.latency.p99} ms, server ${Math.round(r.serverCpuUtil * 100)}% LG ${Math.round(r.lgCpuUtil * 100)}% other ${r.otherCpuUtil.toFixed(2)} cores, lost ${k.lost} dup ${k.duplicated} ooo ${k.outOfOrder + k.seqInversions}`;
  }
  if (def.kind === 'idle') {
    const r = result as IdleResult;
    return `${(r.bytesPerConnection / 1024).toFixed(1)} KiB per connection (${r.connections} connections)`;
  }
  if (def.kind === 'join') {
    const r = result as JoinStormResult;
    return `all joined in ${r.joinSpanMs} ms, lists complete ${r.completeAfterLastJoinMs} ms after the last join, ${r.framesReceived.toLocaleString('en-US')} frames`;
  }
  const r = result as {
    latest: { latency: { p99: number } };
    farBack: { latency: { p99: number } };
  };
  return `p99 last 100: ${r.latest.latency.p99} ms, before= pages: ${r.farBack.latency.p99} ms`;
}

/** `--render=file.json`: rewrites the Markdown, chart (and README) of an earlier run. */
function render(file: string): void {
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  report.targets = checkTargets(report.cells);
  const base = file.replace(/\.json$/, '');
  const name = base.split('/').pop() as string;
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.svg`, toSvg(report));
  writeFileSync(`${base}.md`, `# Parley benchmark results\n\n${toMarkdown(report, `${name}.svg`)}`);
  if (name === 'latest' && !flag('no-readme')) {
    updateReadme(toMarkdown(report, 'results/latest.svg'));
  }
  process.stderr.write(`rendered ${base}.{md,svg}\n`);
}

async function main(): Promise<void> {
  const renderFile = option('render');
  if (renderFile) {
    render(renderFile);
    return;
  }
  process.stderr.write(
    `Parley bench (${profile.quick ? 'quick' : 'full'}): ${cells.length} cells, ${totalRuns} runs; ${pinning.note}\n`,
  );
  await buildServers();
  const ctx: CellContext = { profile, pinning, progress };
  let historyMeta: Report['meta']['history'];
  if (cells.some((c) => c.kind === 'history')) {
    const path = join(tmpdir(), `parley-bench-history-${process.pid}.db`);
    process.stderr.write(`filling ${profile.historyMessages.toLocaleString('en-US')} messages…\n`);
    const filled = await prefillHistory(path, profile.historyMessages);
    ctx.history = { ...filled, path };
    historyMeta = { messages: filled.count, fillMs: filled.fillMs, queryPlan: filled.queryPlan };
  }
  const records: CellRecord[] = [];
  let quietBudgetMs = flag('no-wait') ? 0 : profile.quick ? 8_000 : 60_000;
  const quiet = { waitedMs: 0, startedBusy: 0 };
  try {
    for (const session of sessions) {
      const runs = new Map<string, RunRecord[]>(session.cells.map((c) => [c.id, []]));
      for (let rep = 0; rep < profile.reps; rep++) {
        const order = rep % 2 === 0 ? session.servers : [...session.servers].reverse();
        for (const kind of order) {
          runNo++;
          current = `${session.id} · ${SERVER_LABEL[kind]} (run ${rep + 1}/${profile.reps})`;
          // Other work on the machine (tests, builds, browsers) skews every number:
          // wait a bounded time for it to calm down, and record what was seen.
          if (quietBudgetMs > 0) {
            progress('waiting for a quiet machine');
            const q = await waitForQuiet(
              0.25,
              Math.min(quietBudgetMs, profile.quick ? 2_000 : 15_000),
              profile.quick ? 250 : 500,
            );
            quietBudgetMs -= q.waitedMs;
            quiet.waitedMs += q.waitedMs;
            if (q.otherCores >= 0.25) quiet.startedBusy++;
          }
          const results = await runSession(session, kind, ctx);
          const lines: string[] = [];
          for (const def of session.cells) {
            const result = results.get(def.id);
            if (!result) continue;
            runs.get(def.id)?.push({ server: kind, rep, result });
            lines.push(oneLine(def, result));
          }
          done(`${current}\n    ${lines.join('\n    ')}`);
        }
      }
      for (const def of session.cells) records.push(summarizeCell(def, runs.get(def.id) ?? []));
    }
  } finally {
    if (ctx.history) {
      const { rmSync } = await import('node:fs');
      for (const suffix of ['', '-wal', '-shm'])
        rmSync(`${ctx.history.path}${suffix}`, { force: true });
    }
  }

  const report: Report = {
    meta: {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      machine: {
        cpu: (
          /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ??
          cpus()[0]?.model ??
          'unknown'
        ).trim(),
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        kernel: release(),
        node: process.version,
      },
      pinning: pinning.note,
      quiet: {
        note: `waited ${Math.round(quiet.waitedMs / 1000)} s in all for other processes to use < 0.25 cores before runs; ${quiet.startedBusy} of ${totalRuns} runs started on a busy machine anyway`,
        ...quiet,
      },
      profile,
      durationS: Math.round((Date.now() - started) / 1000),
      command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
      ...(historyMeta ? { history: historyMeta } : {}),
    },
    cells: records,
    targets: checkTargets(records),
  };
  const dir = 'bench/results';
  mkdirSync(dir, { recursive: true });
  const base = profile.quick ? 'quick' : onlySessions || onlyServers ? 'partial' : 'latest';
  const md = toMarkdown(report, `${base}.svg`);
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(
    join(dir, `raw-${report.meta.date.replace(/[:]/g, '-')}.json`),
    JSON.stringify(report),
  );
  writeFileSync(join(dir, `${base}.svg`), toSvg(report));
  writeFileSync(join(dir, `${base}.md`), `# Parley benchmark results\n\n${md}`);
  if (base === 'latest' && !flag('no-readme'))
    updateReadme(toMarkdown(report, 'results/latest.svg'));
  process.stderr.write(`\n${md}\nwrote ${dir}/${base}.{md,json,svg} in ${clock()}\n`);
  // A full run also measures search on 1,000,000 messages (bench/search.ts, about 7
  // minutes, most of it building the store); `npm run bench:search` runs it alone.
  if (base === 'latest' && !flag('no-search')) {
    process.stderr.write('\nsearch latency (bench/search.ts; --no-search skips it)\n');
    const search = spawnSync('node_modules/.bin/tsx', ['bench/search.ts'], { stdio: 'inherit' });
    if (search.status !== 0) throw new Error(`bench/search.ts failed (${search.status})`);
  }
}

/** Replaces the block between the results markers of bench/README.md. */
function updateReadme(md: string): void {
  const path = 'bench/README.md';
  const start = '<!-- results:start -->';
  const end = '<!-- results:end -->';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return;
  }
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return;
  writeFileSync(path, `${text.slice(0, a + start.length)}\n${md}\n${text.slice(b)}`);
  // Formatted as `npm run lint` expects (results/ itself is left out of the lint).
  try {
    execFileSync('node_modules/.bin/biome', ['format', '--write', path], { stdio: 'ignore' });
  } catch {
    // biome missing or failing: the README is still correct, just not formatted
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
