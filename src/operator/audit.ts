import { pino } from 'pino';
import { AUDIT_SCHEMA_VERSION, type AuditEntry, type AuditRecord } from '../api/audit.ts';

/**
 * The decision log: one JSON line per audit record (src/api/audit.ts) on a stream of its own, apart from
 * the operator's diagnostic log. `--audit-log stdout|stderr|<file>`; off when not given. Files are
 * appended to, written synchronously (a record is on disk, or in the pipe, before the decision's next
 * step), and created with their directory when missing.
 */
export interface AuditLog {
  write(entry: AuditEntry): void;
  /** Waits until every record is handed to the operating system. */
  flush(): void;
}

export const NO_AUDIT_LOG: AuditLog = { write: () => {}, flush: () => {} };

export function createAuditLog(destination: string | undefined, operatorVersion: string): AuditLog {
  if (!destination) return NO_AUDIT_LOG;
  const dest =
    destination === 'stdout'
      ? pino.destination({ fd: 1, sync: true })
      : destination === 'stderr'
        ? pino.destination({ fd: 2, sync: true })
        : pino.destination({ dest: destination, sync: true, append: true, mkdir: true });
  return {
    write(entry) {
      const record: AuditRecord = { schema: AUDIT_SCHEMA_VERSION, operatorVersion, ...entry };
      dest.write(`${JSON.stringify(record)}\n`);
    },
    flush() {
      try {
        dest.flushSync();
      } catch {
        // Nothing buffered (the destination is synchronous), or the stream is already closed.
      }
    },
  };
}
