import { type Logger, pino } from 'pino';

export type { Logger };

/** JSON logs on stdout, one object per line, as cluster log pipelines expect. */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { component: 'sovereign-placement' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
