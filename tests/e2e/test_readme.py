"""Every `bash` block of the README runs as written against the local runtime: exit status 0, no 5xx.

The blocks run in order, each in its own `bash -e -o pipefail` at the repository root, with the runtime's own
ports in place of the README's 3000 and 4566 and its data folder as RAPPORT_DATA_DIR (what `rapport token`
and `rapport events put` read). A block whose first line is `# needs AWS` (deploying, a deployed stage) is left
out: it needs credentials the suite does not have.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from local.runtime.runtime import Options
from tests.e2e.conftest import LocalRuntime

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
NEEDS_AWS = "# needs AWS"
_BLOCK = re.compile(r"^```bash\n(.*?)^```$", re.DOTALL | re.MULTILINE)
_SERVER_ERROR = re.compile(r"^HTTP/\S+ 5\d\d|-> 5\d\d ", re.MULTILINE)
DEFAULTS = Options()


@dataclass(frozen=True)
class Block:
    line: int
    script: str

    @property
    def needs_aws(self) -> bool:
        return self.script.startswith(NEEDS_AWS)


def bash_blocks(text: str) -> list[Block]:
    return [Block(text.count("\n", 0, match.start()) + 2, match.group(1)) for match in _BLOCK.finditer(text)]


BLOCKS = bash_blocks(README.read_text())


def test_the_readme_has_blocks_to_run_and_marks_the_ones_that_need_aws() -> None:
    assert [block for block in BLOCKS if not block.needs_aws], "no bash block left to run"
    for block in BLOCKS:
        if "aws " in block.script or "cdk " in block.script or "execute-api" in block.script:
            assert block.needs_aws, f"README.md:{block.line} calls AWS: start it with {NEEDS_AWS!r}"


def _on(runtime: LocalRuntime, script: str) -> str:
    return script.replace(f"localhost:{DEFAULTS.port}", f"localhost:{runtime.port}").replace(
        f"localhost:{DEFAULTS.aws_port}", f"localhost:{runtime.aws_port}"
    )


@pytest.mark.parametrize("block", [b for b in BLOCKS if not b.needs_aws], ids=lambda block: f"README.md:{block.line}")
def test_a_readme_block_runs_as_written(block: Block, local_runtime: LocalRuntime) -> None:
    logged = len(local_runtime.output())
    ran = subprocess.run(  # noqa: S603 - the README's own commands
        ["bash", "-e", "-o", "pipefail", "-c", _on(local_runtime, block.script)],  # noqa: S607
        cwd=ROOT,
        env={**os.environ, "RAPPORT_DATA_DIR": str(local_runtime.data_dir)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    shown = f"README.md:{block.line}\n--- stdout\n{ran.stdout}\n--- stderr\n{ran.stderr}"
    assert ran.returncode == 0, shown
    assert not _SERVER_ERROR.search(ran.stdout), shown
    answered = local_runtime.output()[logged:]
    assert not _SERVER_ERROR.search(answered), f"{shown}\n--- rapport local\n{answered}"
