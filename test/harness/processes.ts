import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';

/**
 * A control-plane process started by the harness. Each runs in its own process group under a small
 * guard (guard.sh) that ends it when the test process that owns it dies, so an interrupted or crashed
 * test run leaves nothing behind; `stop()` ends the whole group by PID.
 */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly pid: number;
  private readonly command: string;
  private readonly args: string[];
  private readonly env: NodeJS.ProcessEnv;
  private readonly child: ChildProcess;
  private exited: Promise<void>;
  private exitCode: number | null = null;

  constructor(name: string, command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}) {
    this.name = name;
    this.logFile = logFile;
    this.command = command;
    this.args = args;
    this.env = env;
    const log = openSync(logFile, 'a');
    this.child = spawn('bash', [guardScript, String(process.pid), command, ...args], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...env },
    });
    if (this.child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    this.pid = this.child.pid;
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        this.exitCode = code ?? -1;
        resolve();
      });
    });
    this.child.unref();
  }

  get running(): boolean {
    return this.exitCode === null;
  }

  /** The last lines of the process's log, for error messages. */
  tail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /**
   * Ends the process group: SIGTERM, then SIGKILL after `graceMs`. Resolves 'exited' when it ended within
   * the grace, 'killed' when it had to be killed.
   */
  async stop(graceMs = 10_000): Promise<'exited' | 'killed'> {
    signalGroup(this.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      signalGroup(this.pid, 'SIGKILL');
      await this.exited;
    }
    // The guard has exited; make sure nothing of its group survives it.
    for (const pid of processGroupMembers(this.pid)) signal(pid, 'SIGKILL');
    return outcome === 'timeout' ? 'killed' : 'exited';
  }

  /**
   * SIGKILL to the whole group (the guard and the command), as when a node or the OOM killer ends a
   * process: no handler runs, nothing is flushed or released.
   */
  async kill(): Promise<void> {
    signalGroup(this.pid, 'SIGKILL');
    await this.exited;
    for (const pid of processGroupMembers(this.pid)) signal(pid, 'SIGKILL');
  }

  /** A new process with the same command, arguments, environment and log file (appended to). */
  respawn(): ManagedProcess {
    return new ManagedProcess(this.name, this.command, this.args, this.logFile, this.env);
  }
}

const guardScript = new URL('./guard.sh', import.meta.url).pathname;

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  signal(-pgid, sig);
}

/** PIDs of live processes whose process group is `pgid` (read from /proc). */
export function processGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may contain spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[2]) === pgid) members.push(Number(entry));
    } catch {
      // exited while reading
    }
  }
  return members;
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
