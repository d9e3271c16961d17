// Reads another process's CPU time and memory from /proc, so a server needs no
// instrumentation: utime + stime of every thread (dead threads included), and RSS.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  // Linux's USER_HZ is 100 almost everywhere
}

/** CPU time (user + system) the process has used so far, in milliseconds. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / clockTicks;
}

/**
 * Time the process's threads spent runnable but waiting for a CPU, in ms
 * (/proc/<pid>/task/<tid>/schedstat, second field): on a shared machine, the
 * delay that other work put on it, which its CPU time does not show.
 */
export function processRunWaitMs(pid: number): number {
  let ns = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
      } catch {
        // the thread exited meanwhile
      }
    }
  } catch {
    // the process exited
  }
  return ns / 1e6;
}

/** Resident set size in bytes. */
export function processRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** CPU time of this process (all threads), in milliseconds. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Proportional set size in bytes: shared pages divided among the processes that
 * map them, so a sum over PostgreSQL's processes counts its shared buffers once.
 */
export function processPssBytes(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const match = /^Pss:\s+(\d+) kB/m.exec(rollup);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0; // exited meanwhile, or not ours to read
  }
}

/** Pids of every process whose command name is `comm` (read fresh: backends come and go). */
export function pidsNamed(comm: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** File descriptors the process has open now. */
export function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** The soft limit on open files of a process (`ulimit -n` as it sees it). */
export function openFileLimit(pid: number | 'self'): number {
  try {
    const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
    const match = /^Max open files\s+(\d+)/m.exec(limits);
    return match ? Number(match[1]) : 1024;
  } catch {
    return 1024;
  }
}

/** Busy CPU time of the whole machine (all cores, every process), in milliseconds. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string;
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  const busy =
    (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return (busy * 1000) / clockTicks;
}

/**
 * Waits (at most `maxWaitMs`) until the rest of the machine uses less than
 * `threshold` cores over a `windowMs` sample; resolves with the last sample (cores).
 */
export async function waitForQuiet(
  threshold: number,
  maxWaitMs: number,
  windowMs = 500,
): Promise<{ otherCores: number; waitedMs: number }> {
  const start = Date.now();
  for (;;) {
    const busy0 = machineBusyMs();
    const self0 = selfCpuMs();
    await new Promise((r) => setTimeout(r, windowMs));
    const other = (machineBusyMs() - busy0 - (selfCpuMs() - self0)) / windowMs;
    const waitedMs = Date.now() - start;
    if (other < threshold || waitedMs >= maxWaitMs) return { otherCores: other, waitedMs };
  }
}
