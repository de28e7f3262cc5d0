"""`anpr completion bash|zsh`: a shell completion script for every command and option (by shtab)."""

from __future__ import annotations

import argparse

SHELLS = ("bash", "zsh")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "completion",
        help="print a shell completion script (bash or zsh)",
        description="Print a completion script for SHELL on stdout. Bash: "
        "`anpr completion bash | sudo tee /etc/bash_completion.d/anpr`, or "
        '`eval "$(anpr completion bash)"` in ~/.bashrc. Zsh: '
        "`anpr completion zsh > ~/.zfunc/_anpr` with `fpath+=~/.zfunc` before `compinit` in ~/.zshrc.",
    )
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    p.set_defaults(func=_completion, default_log_level="WARNING")


def _completion(args: argparse.Namespace) -> int:
    import shtab

    from anpr.cli.main import build_parser

    print(shtab.complete(build_parser(), shell=args.shell), end="")
    return 0
