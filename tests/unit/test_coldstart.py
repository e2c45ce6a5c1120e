"""The cold-start bench's arithmetic and verdict: medians, ratios to both bare handlers, the worst, the exit code."""

from __future__ import annotations

import pytest

from infra.openapi import load_routes
from tools.coldstart import (
    BARE_BOTO3,
    BARE_POWERTOOLS,
    LIMIT,
    Sample,
    exit_code,
    render,
    sample_event,
    summarize,
)


def _runs(*seconds: float, status: int = 200, compiled: int = 0) -> list[Sample]:
    return [Sample(cpu=value, wall=value * 2, status=status, compiled=compiled) for value in seconds]


def _samples(**functions: list[Sample]) -> dict[str, list[Sample]]:
    return {BARE_BOTO3: _runs(0.10, 0.30, 0.11, 0.09), BARE_POWERTOOLS: _runs(0.2, 0.15, 0.16), **functions}


def test_each_subject_is_its_median_cpu_time_divided_by_each_bare_handlers_median() -> None:
    report = summarize(_samples(accounts=_runs(0.9, 0.15, 0.14, 0.13)))
    rows = {row.name: row for row in report.rows}
    assert rows[BARE_BOTO3].cpu == pytest.approx(0.105)
    assert rows[BARE_BOTO3].wall == pytest.approx(0.21)
    assert rows[BARE_BOTO3].to_boto3 == pytest.approx(1.0)
    assert rows["accounts"].cpu == pytest.approx(0.145)
    assert rows["accounts"].to_boto3 == pytest.approx(0.145 / 0.105)
    assert rows["accounts"].to_powertools == pytest.approx(0.145 / 0.16)
    assert rows[BARE_POWERTOOLS].to_boto3 == pytest.approx(0.16 / 0.105)


def test_the_worst_is_the_function_slowest_against_bare_boto3_never_a_bare_handler() -> None:
    report = summarize(_samples(accounts=_runs(0.15), contacts=_runs(0.2), leads=_runs(0.12)))
    assert report.worst.name == "contacts"
    assert [row.name for row in report.functions] == ["accounts", "contacts", "leads"]


def test_a_run_within_the_limit_exits_zero() -> None:
    report = summarize(_samples(accounts=_runs(0.105 * LIMIT * 0.99)))
    assert report.failures() == []
    assert exit_code(report) == 0


def test_a_function_over_the_limit_fails_the_run_and_is_named() -> None:
    report = summarize(_samples(accounts=_runs(0.12), contacts=_runs(0.105 * LIMIT * 1.01)))
    assert exit_code(report) == 1
    assert report.failures() == [f"contacts: {LIMIT * 1.01:.2f}x bare boto3, over {LIMIT}x"]


def test_a_server_error_compiled_modules_or_an_unexpected_call_fail_even_a_fast_run() -> None:
    assert exit_code(summarize(_samples(accounts=_runs(0.1, status=502)))) == 1
    assert exit_code(summarize(_samples(accounts=_runs(0.1, compiled=3)))) == 1
    assert exit_code(summarize(_samples(accounts=_runs(0.1)), ["Scan"])) == 1
    assert exit_code(summarize(_samples(accounts=_runs(0.1, status=404)))) == 0


def test_the_report_prints_both_ratios_of_every_function_and_the_worst() -> None:
    text = render(summarize(_samples(accounts=_runs(0.2), contacts=_runs(0.14))), rounds=4)
    assert "median of 4 fresh processes" in text
    assert "  accounts           200.0    400.0     1.90          1.25     200         0" in text
    assert "worst: accounts, 1.90x bare boto3 and 1.25x bare Powertools" in text
    assert "FAIL" not in text


@pytest.mark.parametrize(
    ("area", "operation"),
    [
        ("accounts", "/accounts"),  # a list, where the area has one
        ("sales", "/currency-rates"),  # else another GET
        ("public_leads", "/public/leads"),  # else its only route
    ],
)
def test_the_sample_request_is_a_list_else_a_get_else_the_first_route(area: str, operation: str) -> None:
    event = sample_event(load_routes(), area)
    assert event["resource"] == operation
