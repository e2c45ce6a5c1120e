from datetime import UTC, datetime, timedelta

from rapport.runs import rows_per_second


def test_a_run_that_has_not_started_has_no_rate() -> None:
    assert rows_per_second({}, 0) is None
    assert rows_per_second({"started_at": None}, 10) is None


def test_a_finished_run_is_measured_to_its_end() -> None:
    run = {"started_at": "2026-12-01T10:00:00+00:00", "finished_at": "2026-12-01T10:00:08+00:00"}
    assert rows_per_second(run, 100) == 12.5
    assert rows_per_second({**run, "finished_at": run["started_at"]}, 100) is None  # no time to divide by


def test_a_running_run_is_measured_to_now() -> None:
    started = datetime.now(UTC) - timedelta(seconds=100)
    rate = rows_per_second({"started_at": started.isoformat()}, 1_000)
    assert rate is not None
    assert 9 < rate <= 10
