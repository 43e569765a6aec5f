// Shell completion scripts, generated from the command tree itself so that they cannot drift from it:
// subcommands, their flags, the values of flags with choices, directories for --inventory, files for
// --kubeconfig and check's paths, contexts (from kubectl, when present) for --context, and the kinds
// of `explain`. Static: a TAB never starts Node.
import type { Command, Option } from 'commander';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** kind/ prefixes that `explain` accepts (the short forms work too, these are the ones offered). */
const EXPLAIN_KINDS = [
  'node/',
  'pod/',
  'policy/',
  'cluster/',
  'workload/',
  'fulcrum-agent/',
  'deployment/',
  'statefulset/',
  'daemonset/',
  'job/',
];

const word = (s: string) => {
  if (!/^[-\w./:]+$/.test(s)) throw new Error(`not a plain completion word: ${s}`);
  return s;
};

function flagsOf(option: Option): string[] {
  return [option.short, option.long].filter((f): f is string => !!f).map(word);
}

/** The shell code (one `case` arm body) that completes the value of `option`, or null when it takes none. */
function valueCompletion(option: Option): string | null {
  if (!option.required && !option.optional) return null;
  if (option.argChoices)
    return `COMPREPLY=($(compgen -W "${option.argChoices.map(word).join(' ')}" -- "$cur"))`;
  if (option.long === '--inventory') return 'COMPREPLY=($(compgen -d -- "$cur"))';
  if (option.long === '--kubeconfig') return 'COMPREPLY=($(compgen -f -- "$cur"))';
  if (option.long === '--context')
    return 'COMPREPLY=($(compgen -W "$(kubectl config get-contexts -o name 2>/dev/null)" -- "$cur"))';
  return 'COMPREPLY=()';
}

function commandArm(command: Command): string {
  const options = command.options;
  const flags = [...options.flatMap(flagsOf), '--help'];
  const valueArms = options
    .map((o) => [flagsOf(o).join('|'), valueCompletion(o)] as const)
    .filter((arm): arm is readonly [string, string] => arm[1] !== null)
    .map(([pattern, body]) => `        ${pattern}) ${body}; return ;;`);
  let operands = 'COMPREPLY=()';
  if (command.name() === 'explain')
    operands = `COMPREPLY=($(compgen -W "${EXPLAIN_KINDS.join(' ')}" -- "$cur")); compopt -o nospace 2>/dev/null`;
  else if (command.name() === 'check') operands = 'COMPREPLY=($(compgen -f -- "$cur"))';
  else if (command.name() === 'completion')
    operands = `COMPREPLY=($(compgen -W "${SHELLS.join(' ')}" -- "$cur"))`;
  return [
    `    ${word(command.name())})`,
    ...(valueArms.length ? ['      case "$prev" in', ...valueArms, '      esac'] : []),
    `      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "${flags.join(' ')}" -- "$cur")); else ${operands}; fi`,
    '      ;;',
  ].join('\n');
}

/** The completion script for `shell`, completing the command `name` (sovctl). */
export function completionScript(program: Command, shell: Shell): string {
  // As the kubectl plugin the program is called "kubectl sovereignty", which kubectl completes itself
  // (through a kubectl_complete-sovereignty executable); the script completes the sovctl command.
  const name = program.name().includes(' ') ? 'sovctl' : word(program.name());
  const fn = `_${name.replace(/\W/g, '_')}_complete`;
  const commands = program.commands.map((c) => word(c.name()));
  const bash = `${fn}() {
  local cur prev cmd i
  COMPREPLY=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      ${commands.join('|')}) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$cmd" in
    "") COMPREPLY=($(compgen -W "${commands.join(' ')} --version --help" -- "$cur")) ;;
${program.commands.map(commandArm).join('\n')}
  esac
}
complete -F ${fn} ${name}
`;
  if (shell === 'bash')
    return `# bash completion for ${name}: source <(${name} completion bash), or save it under
# /etc/bash_completion.d/ or ~/.local/share/bash-completion/completions/${name}.
${bash}`;
  return `#compdef ${name}
# zsh completion for ${name}: source <(${name} completion zsh) in ~/.zshrc (after compinit). It is the
# bash completion, run by zsh's bashcompinit.
autoload -U +X bashcompinit && bashcompinit
${bash}`;
}
