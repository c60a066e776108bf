"""Settings as users read them: every one is in docs/configuration.md."""

from __future__ import annotations

from pathlib import Path

from loadbay.config import Settings

CONFIGURATION = Path(__file__).parent.parent / "docs" / "configuration.md"


def test_every_setting_is_documented_under_its_environment_variable() -> None:
    text = CONFIGURATION.read_text()
    missing = [name for name in Settings.model_fields if f"`LOADBAY_{name.upper()}" not in text]
    assert missing == [], f"add these to docs/configuration.md: {missing}"
