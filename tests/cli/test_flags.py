"""One flag name per notion across commands: walked over every command of the app."""

from __future__ import annotations

from typing import Any

import typer

from cooc.cli import app


def _commands() -> dict[str, Any]:
    """Every leaf command by its full name (typer ships its own copy of click, hence duck typing)."""
    root = typer.main.get_command(app)
    found: dict[str, Any] = {}

    def walk(cmd: Any, path: tuple[str, ...]) -> None:
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(None):
                walk(cmd.get_command(None, name), (*path, name))
        else:
            found[" ".join(path)] = cmd

    walk(root, ())
    return found


def _options(cmd: Any) -> dict[str, Any]:
    return {p.name: p for p in cmd.params if p.param_type_name == "option"}


def test_the_walk_sees_every_command():
    names = set(_commands())
    assert {"count", "corpus build", "train word2vec", "geometry symmetry", "analyses run", "demo"} <= names


def test_output_is_output_or_o_everywhere():
    seen = 0
    for name, cmd in _commands().items():
        for dest, opt in _options(cmd).items():
            if dest in ("out", "output"):
                seen += 1
                assert opt.opts[:2] == ["--output", "-o"], f"{name}: {opt.opts}"
    assert seen >= 14


def test_parallelism_is_threads_everywhere():
    found = []
    for name, cmd in _commands().items():
        for opt in _options(cmd).values():
            names = set(opt.opts)
            if names & {"--threads", "--workers"}:
                assert opt.opts[0] == "--threads", f"{name}: {opt.opts}"
                found.append(name)
    assert {"count", "corpus build", "train word2vec"} <= set(found)


def test_overwrite_and_json_are_plain_switches():
    for name, cmd in _commands().items():
        opts = _options(cmd)
        if "overwrite" in opts:
            assert opts["overwrite"].opts == ["--overwrite"] and not opts["overwrite"].secondary_opts, name
        for dest, opt in opts.items():
            if "--json" in opt.opts:
                assert dest == "as_json" and opt.is_flag, name
