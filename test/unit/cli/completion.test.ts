// The bash completion script, run by a real bash the way `complete -F` runs it on TAB.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.ts';

/** What bash offers for the command line `line` with the cursor at its end (a trailing space starts a new word). */
function complete(script: string, line: string, cwd?: string): string[] {
  const words = line.split(' ');
  const program = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length - 1}
_sovctl_complete
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program], {
    encoding: 'utf8',
    cwd,
    env: { PATH: '/usr/bin:/bin' },
  });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('sovctl completion', () => {
  it('bash: commands, flags, flag values, kinds, directories and files', async () => {
    const r = await cli('completion', 'bash');
    expect(r.code).toBe(0);
    const script = r.stdout;
    expect(complete(script, 'sovctl ')).toEqual(
      ['--help', '--version', 'check', 'completion', 'explain', 'fulcrum', 'report'].sort(),
    );
    expect(complete(script, 'sovctl ex')).toEqual(['explain']);
    expect(complete(script, 'sovctl explain -o ')).toEqual(['json', 'table', 'yaml']);
    expect(complete(script, 'sovctl report --output h')).toEqual(['html']);
    expect(complete(script, 'sovctl check -o ')).toEqual(['json', 'text']);
    expect(complete(script, 'sovctl explain po')).toEqual(['pod/', 'policy/']);
    expect(complete(script, 'sovctl report --k')).toEqual(['--kubeconfig']);
    // check runs offline: no cluster flags.
    expect(complete(script, 'sovctl check --')).toEqual(['--at', '--help', '--inventory', '--output']);
    expect(complete(script, 'sovctl completion ')).toEqual(['bash', 'zsh']);

    const dir = mkdtempSync(join(tmpdir(), 'completion-'));
    mkdirSync(join(dir, 'inventory'));
    writeFileSync(join(dir, 'ledger.yaml'), '');
    expect(complete(script, 'sovctl explain --inventory ', dir)).toEqual(['inventory']);
    expect(complete(script, 'sovctl check ', dir)).toEqual(['inventory', 'ledger.yaml']);
  });

  it('zsh: the same completion through bashcompinit', async () => {
    const bash = (await cli('completion', 'bash')).stdout;
    const zsh = (await cli('completion', 'zsh')).stdout;
    expect(zsh.split('\n')[0]).toBe('#compdef sovctl');
    expect(zsh).toContain('autoload -U +X bashcompinit && bashcompinit');
    expect(zsh).toContain(bash.split('\n').slice(2).join('\n'));
  });

  it('refuses an unknown shell, naming the ones it knows', async () => {
    const r = await cli('completion', 'powershell');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'powershell' is invalid for argument 'shell'. Allowed choices are bash, zsh/);
  });
});
