"""What every admin command shares: it says which database it wrote to (issue 16: run from
another folder, ``clients create`` made a database the server never read, silently)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.e2e.server import LOADBAY


def test_an_admin_command_names_the_database_it_wrote_to(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOADBAY_")}
    done = subprocess.run(
        [LOADBAY, "clients", "create", "--tenant", "t", "--scope", "rostering", "--json"],
        env={**env, "LOADBAY_DATA_DIR": str(tmp_path / "elsewhere")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == f"database: sqlite:///{tmp_path / 'elsewhere' / 'loadbay.db'}"
    # stdout stays the JSON a script reads.
    assert done.stdout.strip().startswith("{")
