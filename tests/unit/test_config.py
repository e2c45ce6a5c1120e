import re
from pathlib import Path

import pytest

from rapport import config
from rapport.config import Config, MissingSetting

ROOT = Path(__file__).resolve().parents[2]
DEPLOYED = [ROOT / "layers" / "core" / "python", ROOT / "functions"]


def test_settings_are_read_from_their_variables_and_default_where_the_stack_may_leave_them_out():
    settings = Config.from_environment({"TABLE_NAME": "Stack-Table", "EVENT_BUS_NAME": "bus", "APP_URL": ""})
    assert settings.table_name == "Stack-Table"
    assert settings.idempotency_table_name == "rapport-idempotency"
    assert settings.allowed_origin == "*"
    assert settings.require("event_bus_name") == "bus"
    assert settings.app_url is None, "an empty variable is no value"


def test_a_setting_a_function_needs_and_lacks_names_its_variable():
    with pytest.raises(MissingSetting, match="SENDER_EMAIL is not set"):
        Config.from_environment({}).require("sender_email")


def test_the_environment_is_read_once_until_reloaded(monkeypatch):
    monkeypatch.setenv("EVENT_BUS_NAME", "first")
    config.reload()
    assert config.current().event_bus_name == "first"
    monkeypatch.setenv("EVENT_BUS_NAME", "second")
    assert config.current().event_bus_name == "first"
    config.reload()
    assert config.current().event_bus_name == "second"


def test_only_rapport_config_reads_the_environment():
    reads = re.compile(r"\bos\.environ\b|\bgetenv\(")
    readers = sorted(
        str(path.relative_to(ROOT))
        for folder in DEPLOYED
        for path in folder.rglob("*.py")
        if reads.search(path.read_text())
    )
    assert readers == ["layers/core/python/rapport/config.py"]
