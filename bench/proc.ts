// Reads another process's CPU time and memory from /proc, so a server needs no
// instrumentation: utime + stime of every thread (dead threads included), and RSS.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

export function ownOpenFileLimit(): number {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
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
