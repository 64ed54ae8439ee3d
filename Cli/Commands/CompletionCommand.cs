using System.CommandLine;

namespace SgBridge.Cli.Commands;

/// <summary>
/// <c>sgbridge completion bash|zsh|pwsh</c>: prints a shell script that completes verbs, options and option values
/// (status names, formats…) by asking sgbridge itself through System.CommandLine's <c>[suggest:POSITION]</c>
/// directive, so completion always matches the installed version. No network, no settings.
/// </summary>
public sealed class CompletionCommand : ICliVerb
{
    private const string Details = """
        Prints a completion script for your shell; load it from your shell's start-up file. The script asks the
        installed sgbridge for the words that fit (System.CommandLine's [suggest] directive), so it completes verbs,
        subcommands, options and their fixed values, and never goes stale.
        Exit code: 0 printed, 1 an unknown shell.

        Examples:
          sgbridge completion bash
          sgbridge completion zsh
          sgbridge completion pwsh
          sgbridge "[suggest:20]" "sgbridge requests ap"
        """;

    /// <summary>bash: COMP_LINE up to the cursor, completed by sgbridge.</summary>
    internal const string Bash = """
        # sgbridge completion for bash: add to ~/.bashrc:  source <(sgbridge completion bash)
        _sgbridge_complete() {
            local IFS=$'\n'
            local line="${COMP_LINE:0:${COMP_POINT}}"
            COMPREPLY=( $(compgen -W "$(sgbridge "[suggest:${#line}]" "${line}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}") )
        }
        complete -o default -F _sgbridge_complete sgbridge
        """;

    /// <summary>zsh: BUFFER up to the cursor.</summary>
    internal const string Zsh = """
        # sgbridge completion for zsh: add to ~/.zshrc:  source <(sgbridge completion zsh)
        _sgbridge() {
            local line="${BUFFER[1,${CURSOR}]}"
            local -a words
            words=("${(@f)$(sgbridge "[suggest:${#line}]" "${line}" 2>/dev/null)}")
            compadd -a words
        }
        compdef _sgbridge sgbridge
        """;

    /// <summary>PowerShell: the command line and the cursor position Register-ArgumentCompleter gives.</summary>
    internal const string Pwsh = """
        # sgbridge completion for PowerShell: add to $PROFILE:  sgbridge completion pwsh | Out-String | Invoke-Expression
        Register-ArgumentCompleter -Native -CommandName sgbridge -ScriptBlock {
            param($wordToComplete, $commandAst, $cursorPosition)
            $line = $commandAst.ToString()
            if ($line.Length -gt $cursorPosition) { $line = $line.Substring(0, $cursorPosition) }
            sgbridge "[suggest:$($line.Length)]" "$line" 2>$null | ForEach-Object {
                [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
            }
        }
        """;

    public Command Create(CliContext context)
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or pwsh." };
        shell.AcceptOnlyFromAmong("bash", "zsh", "pwsh");
        var command = new VerbCommand("completion", "Prints a shell completion script (bash, zsh, pwsh).", Details) { shell };
        VerbAction.Set(command, context, async (p, _) =>
        {
            var script = p.GetRequiredValue(shell) switch
            {
                "bash" => Bash,
                "zsh" => Zsh,
                _ => Pwsh,
            };
            await context.Out.WriteLineAsync(script).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
