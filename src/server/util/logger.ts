import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export type LogFormat = 'auto' | 'json' | 'pretty';

/** `auto` is pretty on a terminal and JSON lines otherwise (files, pipes, log collectors). */
export function chooseLogFormat(format: LogFormat, stdoutIsTTY: boolean): 'json' | 'pretty' {
  if (format !== 'auto') return format;
  return stdoutIsTTY ? 'pretty' : 'json';
}

export function createLogger(level: string, nodeId: string, format: LogFormat): Logger {
  const options = { level, base: { pid: process.pid, node: nodeId } };
  if (chooseLogFormat(format, process.stdout.isTTY === true) === 'json') return pino(options);
  // In this thread rather than as a worker-thread transport: a terminal is for a
  // person watching, and synchronous writes keep the last lines before an exit.
  return pino(
    options,
    pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid', destination: 1 }),
  );
}
