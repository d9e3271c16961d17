import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(level: string, nodeId: string): Logger {
  return pino({ level, base: { pid: process.pid, node: nodeId } });
}
