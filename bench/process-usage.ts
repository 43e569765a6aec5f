// CPU time and resident memory of the operator process, read from /proc (Linux only).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processGroupMembers } from '../test/harness/processes.ts';

let ticks: number | undefined;
/** Clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

/** The node process running src/operator/main.ts in a process group, not the guard script that started it. */
export function operatorPid(group: number | undefined): number | undefined {
  if (group === undefined) return undefined;
  for (const pid of processGroupMembers(group)) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('node') && argv.some((a) => a.endsWith('src/operator/main.ts'))) return pid;
    } catch {
      // the process ended meanwhile
    }
  }
  return undefined;
}

/** User plus system CPU seconds the process has used so far (utime + stime). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')': the state is
    // field 3 of stat(5), utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

export function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(rss) / 1024;
  } catch {
    return Number.NaN;
  }
}
