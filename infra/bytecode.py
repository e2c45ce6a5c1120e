"""Bytecode for the functions' runtime: what every asset ships, so that no cold start compiles a module.

Lambda's file system is read-only, so a module without a usable `.pyc` is compiled on every cold start. A `.pyc`
is usable only when the interpreter that compiled it has the runtime's minor version (its magic number), and,
because CDK zips every file with the same 1980 timestamp, only when it is hash-based and unchecked: Python then
loads it without reading the source again. The functions therefore run on a Python this machine has:
`PYTHON_VERSION` names it, and the factory's runtime and the deps layer's wheels are made from it.

`python -m infra.bytecode version` prints the version (the deps layer build reads it); `... interpreter` the
path of the interpreter found for it.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

# Lambda's python3.14 cannot be had on this machine (Debian 12 ships 3.11; pyenv and uv download theirs from
# hosts it cannot reach); python3.11 is deprecated by Lambda (updates blocked from 2026-08-31); 3.13 is the
# newest Python installed here (pyenv) and Lambda supports it until 2029.
PYTHON_VERSION = "3.13"
INVALIDATION_MODE = "unchecked-hash"
OVERRIDE = "RAPPORT_RUNTIME_PYTHON"


class MissingInterpreter(RuntimeError):
    pass


def _candidates(version: str) -> Iterator[Path]:
    if OVERRIDE in os.environ:
        yield Path(os.environ[OVERRIDE])
    for root in (
        Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions",
        Path(os.environ.get("UV_PYTHON_INSTALL_DIR", Path.home() / ".local" / "share" / "uv" / "python")),
    ):
        yield from sorted(root.glob(f"*{version}.*/bin/python{version}"), reverse=True)
    on_path = shutil.which(f"python{version}")
    if on_path:
        yield Path(on_path)


def _runs_as(interpreter: Path, version: str) -> bool:
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    try:
        answer = subprocess.run(  # noqa: S603 - a Python interpreter, asked its version
            [str(interpreter), "-c", probe], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return False
    return answer.returncode == 0 and answer.stdout.strip() == version


@functools.cache
def interpreter(version: str = PYTHON_VERSION) -> Path:
    """A Python `version` interpreter of this machine: `$RAPPORT_RUNTIME_PYTHON`, pyenv's, uv's, or on PATH."""
    for candidate in _candidates(version):
        if _runs_as(candidate, version):
            return candidate
    raise MissingInterpreter(
        f"The functions run on Python {version} and ship bytecode compiled by it, but no Python {version} was "
        f"found: install it (`pyenv install {version}`, `uv python install {version}`, or your system's "
        f"python{version} package), or point {OVERRIDE} at one."
    )


def compile_tree(directory: Path, version: str = PYTHON_VERSION) -> None:
    """Compiles every module under `directory` in place, as the runtime's Python loads it from the asset."""
    subprocess.run(  # noqa: S603 - the runtime's interpreter compiling our own assets
        [
            str(interpreter(version)),
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            INVALIDATION_MODE,
            # Source paths recorded relative to the asset: the bytecode does not depend on where it was built.
            "-s",
            str(directory),
            str(directory),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main(argv: list[str]) -> None:
    commands = {"version": lambda: PYTHON_VERSION, "interpreter": lambda: str(interpreter())}
    if len(argv) != 1 or argv[0] not in commands:
        raise SystemExit(f"usage: python -m infra.bytecode {{{','.join(commands)}}}")
    print(commands[argv[0]]())


if __name__ == "__main__":
    main(sys.argv[1:])
