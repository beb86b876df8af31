"""Every command and assistant config in the README works against the real entry points.

Each fenced ``sh``/``bash``/``console`` block (and the ``Procfile``) is split into commands;
each of ours — ``leads …``, a console script, ``python -m …``, the command after
``claude mcp add … --`` — must name an existing entry point and subcommand, and every option
it uses must appear in that entry point's real ``--help``. ``make`` targets must exist, and
``heroku config:set`` may set only real settings. Each ``json`` block must parse, and every
MCP server in it must start a real entry point (or bridge to ``/mcp`` with its header in
``env``). A renamed option then fails the build, not a newcomer.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import pytest

from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SCRIPTS: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
MODULES = {
    "bot": "leads-bot",
    "bot.worker": "leads-worker",
    "mcp_server": "leads-mcp",
    "sandbox": None,  # no console script of its own: `python -m sandbox` or `leads sandbox`
}
SETTINGS = {name.upper() for name in Settings.model_fields}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
SHELLS = {"sh", "bash", "console", "shell"}
SEPARATORS = {";", "&&", "||", "|", "&", ">", ">>", "<", "2>", "(", ")"}


@dataclass(frozen=True)
class Command:
    """One of our commands: how to run its ``--help``, and what the README passes it."""

    source: str
    entry: tuple[str, ...]  # the argv that runs it
    args: tuple[str, ...]


def blocks(language: set[str]) -> list[str]:
    return [body for lang, body in FENCE.findall(README) if lang in language]


def shell_lines(text: str) -> list[str]:
    """Logical lines: continuations joined, prompts and ``[optional]`` brackets dropped.

    A ``<placeholder>`` and a ``$(command substitution)`` each become one plain word: the
    lexer would otherwise read their ``<``, ``>``, ``(`` and ``)`` as separators, cut the
    command in two and never check the options (or settings) after them.
    """
    text = text.replace("\\\n", " ")
    text = re.sub(r"<[^<>\s]+>", "ARG", text)
    text = re.sub(r"\$\([^()]*\)", "SUBSTITUTED", text)
    lines = []
    for line in text.splitlines():
        line = line.strip().removeprefix("$ ")
        if line and not line.startswith("#"):
            lines.append(re.sub(r"(?<!\$)\[([^\]]*)\]", r"\1", line))
    return lines


def segments(line: str) -> list[list[str]]:
    """The simple commands of one line (split at ``;``, ``&&``, pipes and redirections)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    result: list[list[str]] = [[]]
    for token in lexer:
        if token in SEPARATORS:
            result.append([])
        else:
            result[-1].append(token)
    return [words for words in result if words]


def program(path: str) -> str:
    """``leads-mcp`` from ``/x/.venv/bin/leads-mcp`` or ``C:\\x\\Scripts\\leads-mcp.exe``."""
    pure = PureWindowsPath(path) if "\\" in path else PurePosixPath(path)
    return pure.name.removesuffix(".exe")


def ours(words: list[str], source: str) -> Command | None:
    """The command of ours these words run, or None for other tools'."""
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        words = words[1:]  # NAME=value prefixes
    if not words:
        return None
    name = program(words[0])
    if name in SCRIPTS:
        return Command(source, script_argv(name), tuple(words[1:]))
    if re.fullmatch(r"python(3(\.\d+)?)?", name) and words[1:2] == ["-m"]:
        module = words[2]
        assert module in MODULES, f"{source}: `python -m {module}` is not one of ours"
        return Command(source, (sys.executable, "-m", module), tuple(words[3:]))
    if name == "claude" and "--" in words:
        return ours(words[words.index("--") + 1 :], source)
    return None


def script_argv(name: str) -> tuple[str, ...]:
    """Run console script ``name`` as its installed wrapper does (``sys.argv[0]`` = name)."""
    module, function = SCRIPTS[name].split(":")
    code = (
        f"import sys; sys.argv[0] = {name!r}; from {module} import {function}; "
        f"sys.exit({function}())"
    )
    return (sys.executable, "-c", code)


@functools.cache
def help_text(entry: tuple[str, ...]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NYNE_", "SLACK_", "MCP_"))}
    env |= {"PYTHONPATH": str(ROOT), "COLUMNS": "200", "TERM": "dumb"}
    done = subprocess.run(
        [*entry, "--help"],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"{entry[-1]} --help failed: {done.stderr}"
    return done.stdout


def check(command: Command) -> None:
    """The subcommand exists and every option is in its ``--help``."""
    entry, args = command.entry, list(command.args)
    text = help_text(entry)
    if entry == script_argv("leads") and args and not args[0].startswith("-"):
        # `leads SUBCOMMAND …`: the subcommand's own --help must answer, with its options.
        entry, args = (*entry, args[0]), args[1:]
        text = help_text(entry)
        # A group (`leads watch list …`): its listed subcommand's --help has the options.
        while (
            args
            and not args[0].startswith("-")
            and "Commands" in text
            and re.search(rf"^[│ ]*{re.escape(args[0])}\s", text, re.M)
        ):
            entry, args = (*entry, args[0]), args[1:]
            text = help_text(entry)
    for arg in args:
        if arg == "--" or not arg.startswith("-") or arg == "-":
            continue
        option = arg.split("=", 1)[0]
        pattern = rf"(?<![\w-]){re.escape(option)}(?![\w-])"
        assert re.search(pattern, text), f"{command.source}: {option} is not in its --help"


def readme_commands() -> list[tuple[str, list[str]]]:
    """Every simple command in the README's shell blocks and the Procfile, with its line."""
    found: list[tuple[str, list[str]]] = []
    for body in [*blocks(SHELLS), (ROOT / "Procfile").read_text()]:
        for line in shell_lines(body):
            line = re.sub(r"^(web|worker|mcp): ", "", line)  # a Procfile line
            found.extend((line, words) for words in segments(line))
    return found


COMMANDS = readme_commands()


def test_the_readme_has_commands_of_each_entry_point() -> None:
    names = {program(words[0]) for _, words in COMMANDS}
    assert {"leads", "leads-mcp", "leads-web", "leads-worker", "make"} <= names
    assert len([1 for line, words in COMMANDS if ours(words, line)]) >= 12


@pytest.mark.parametrize(("line", "words"), COMMANDS, ids=[line[:60] for line, _ in COMMANDS])
def test_each_command_exists_with_its_options(line: str, words: list[str]) -> None:
    # A command never starts with an option: if one does, the line was cut in two.
    assert not words[0].startswith("-"), f"{line}: split before {words[0]}"
    command = ours(words, line)
    if command is not None:
        check(command)
    elif words[0] == "make":
        targets = re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M)
        assert set(words[1:]) <= set(targets), line
    elif words[:2] == ["heroku", "config:set"]:
        names = {w.split("=", 1)[0] for w in words[2:] if re.fullmatch(r"[A-Z_]+=.*", w)}
        assert names, line
        assert names <= SETTINGS, f"not settings: {names - SETTINGS}"


def test_the_readme_shows_the_real_procfile() -> None:
    # The README's Procfile block is what a newcomer copies; it must be the file itself.
    shown = [body for _, body in FENCE.findall(README) if body.startswith("web: ")]
    assert shown == [(ROOT / "Procfile").read_text()], "README's Procfile block != Procfile"


JSON_BLOCKS = blocks({"json"})


def test_the_readme_has_assistant_configs() -> None:
    assert sum("mcpServers" in body for body in JSON_BLOCKS) >= 5


@pytest.mark.parametrize("body", JSON_BLOCKS, ids=[b.split("\n", 1)[0] for b in JSON_BLOCKS])
def test_each_json_block_parses_and_starts_a_real_server(body: str) -> None:
    config: dict[str, Any] = json.loads(body)
    for name, server in config.get("mcpServers", {}).items():
        source = f"mcpServers.{name}"
        if "url" in server:
            assert server["url"].endswith("/mcp"), source
            continue
        argv = [server["command"], *server.get("args", [])]
        if program(argv[0]) == "npx":
            check_bridge(server, source)
            continue
        command = ours(argv, source)
        assert command is not None, f"{source}: {argv[0]} is not one of our entry points"
        check(command)
        assert set(server.get("env", {})) <= SETTINGS, f"{source}: env has unknown settings"


def check_bridge(server: dict[str, Any], source: str) -> None:
    """``mcp-remote`` to our ``/mcp``, its header from an env var (no spaces in arguments)."""
    args: list[str] = server["args"]
    assert "mcp-remote" in args, source
    assert any(arg.endswith("/mcp") for arg in args), source
    for arg in args:
        assert " " not in arg, f"{source}: some clients split arguments at spaces: {arg!r}"
        for var in re.findall(r"\$\{(\w+)\}", arg):
            assert var in server.get("env", {}), f"{source}: ${{{var}}} is not in env"
    header = args[args.index("--header") + 1]
    assert header.startswith("Authorization:"), source
    assert any(v.startswith("Bearer ") for v in server["env"].values()), source
