// bin/sovctl and bin/kubectl-sovereignty as real processes: exit codes, one-line errors, symlinks on PATH.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AT, CHECK, INVENTORY, ROOT } from './helpers.ts';

const SOVCTL = join(ROOT, 'bin/sovctl');

function run(command: string, args: string[], options: { cwd?: string; path?: string } = {}) {
  const r = spawnSync(command, args, {
    encoding: 'utf8',
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, PATH: options.path ?? process.env.PATH, SOVCTL_NAME: '' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bin/sovctl as a subprocess', { timeout: 60_000 }, () => {
  it('exit 0: explains a node as JSON', () => {
    const r = run(SOVCTL, ['explain', 'node/fr-par-1', '--inventory', INVENTORY, '--at', AT, '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).verdicts.map((v: any) => v.verdict.conforms)).toEqual([true, true, true]);
  });

  it('exit 1: check with findings', () => {
    const r = run(SOVCTL, ['check', join(CHECK, 'bad'), '--inventory', INVENTORY, '--at', AT]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('6 findings in 5 objects.');
  });

  it.each([
    [['explain', 'node/nope', '--inventory', INVENTORY], /^sovctl: Node nope not found in /],
    [
      ['explain', 'node/fr-par-1', '--inventory', INVENTORY, '--at', 'yesterday'],
      /^sovctl: invalid --at "yesterday"/,
    ],
    [['check', join(CHECK, 'broken-yaml')], /^sovctl: .*broken\.yaml:7: invalid YAML: /],
    [['explain', 'node/x', '--bogus'], /^sovctl: unknown option '--bogus'/],
  ])('exit 2 with one line and no stack trace: %j', (args, pattern) => {
    const r = run(SOVCTL, args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at |Error:|\.ts:\d+/);
  });

  it('works through symlinks on PATH, from another folder, also as the kubectl plugin', () => {
    const bin = mkdtempSync(join(tmpdir(), 'sovctl-path-'));
    symlinkSync(SOVCTL, join(bin, 'sovctl'));
    symlinkSync(join(ROOT, 'bin/kubectl-sovereignty'), join(bin, 'kubectl-sovereignty'));
    const path = `${bin}:${process.env.PATH}`;
    const r = run('sovctl', ['explain', 'mcl/lyon-1', '--inventory', INVENTORY, '--at', AT, '-o', 'json'], {
      cwd: bin,
      path,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).facts.healthy).toBe(false);
    const plugin = run('kubectl-sovereignty', ['--help'], { cwd: bin, path });
    expect(plugin.code).toBe(0);
    expect(plugin.stdout).toContain('Usage: kubectl sovereignty [options] [command]');
    // package.json links kubectl-sovereignty to bin/sovctl: that presents itself as the plugin too.
    const npmBin = mkdtempSync(join(tmpdir(), 'sovctl-npm-'));
    symlinkSync(SOVCTL, join(npmBin, 'kubectl-sovereignty'));
    const viaNpm = run(join(npmBin, 'kubectl-sovereignty'), ['explain', '--help']);
    expect(viaNpm.code).toBe(0);
    expect(viaNpm.stdout).toContain('Usage: kubectl sovereignty explain [options] <kind/name>');
  });
});
