"""`rapport local` keeps what it acknowledged: kill -9 at any moment, Ctrl-C within 5 s, bursts of 50 parallel
requests (the figures README promises; the soak with 50,000 contacts is test_soak.py)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import sample
from tools.loadtest import LocalProcess, request, some_ids


def _create_accounts_until_killed(runtime: LocalProcess, acknowledged: list[str], stop: threading.Event) -> None:
    token = runtime.token("durable")
    while not stop.is_set():
        try:
            status, body = request(f"{runtime.url}/accounts", token, "POST", {"name": f"Account {time.time_ns()}"})
        except OSError:
            return  # the runtime is gone: this request was never acknowledged
        if status == 201:
            acknowledged.append(body["id"])


@pytest.mark.parametrize("acknowledged_before_the_kill", [1, 60])
def test_kill_9_loses_no_acknowledged_write(runtime: LocalProcess, acknowledged_before_the_kill: int) -> None:
    runtime.start()
    acknowledged: list[str] = []
    stop = threading.Event()
    writers = [
        threading.Thread(target=_create_accounts_until_killed, args=(runtime, acknowledged, stop)) for _ in range(4)
    ]
    for writer in writers:
        writer.start()
    while len(acknowledged) < acknowledged_before_the_kill:
        time.sleep(0.01)
    runtime.kill()  # with writes in flight
    stop.set()
    for writer in writers:
        writer.join()
    runtime.start()
    token = runtime.token("durable")
    lost = [record for record in acknowledged if request(f"{runtime.url}/accounts/{record}", token)[0] != 200]
    assert lost == []
    listed = some_ids(runtime, "durable", "accounts", pages=100)
    assert set(acknowledged) <= set(listed)
    runtime.stop()


def test_ctrl_c_ends_the_process_within_5_seconds_even_with_work_in_flight(runtime: LocalProcess) -> None:
    runtime.start()
    token = runtime.token("stops")
    with ThreadPoolExecutor(8) as pool:
        busy = [
            pool.submit(request, f"{runtime.url}/contacts", token, "POST", {"last_name": f"C{n}"}) for n in range(40)
        ]
        time.sleep(0.5)
        assert runtime.stop() < 5
        for future in busy:
            with contextlib.suppress(OSError):  # cut off by the stop: not acknowledged
                future.result()
    assert "stopped; data saved" in runtime.output()


def test_a_burst_of_50_parallel_requests_is_served_without_a_5xx(runtime: LocalProcess) -> None:
    runtime.start()
    token = runtime.token("burst", "sales")
    barrier = threading.Barrier(50)
    booking = {
        "title": "Demo",
        "starts_at": "2027-03-01T10:00:00Z",
        "ends_at": "2027-03-01T11:00:00Z",
        "attendee_ids": ["rep-1"],
    }

    def send(number: int, method: str, path: str, body: dict[str, Any]) -> int:
        barrier.wait()
        return request(f"{runtime.url}{path}", token, method, body)[0]

    with ThreadPoolExecutor(50) as pool:
        contacts = list(pool.map(lambda n: send(n, "POST", "/contacts", {"last_name": f"Burst {n}"}), range(50)))
        bookings = list(pool.map(lambda n: send(n, "POST", "/appointments", booking), range(50)))
    assert contacts == [201] * 50
    assert sorted(bookings) == [201] + [409] * 49  # the same slot: one booking holds it
    runtime.stop()


def _public_lead(runtime: LocalProcess, key: str, email: str) -> int:
    body = json.dumps(sample("createPublicLead", email=email)).encode()
    headers = {"x-api-key": key, "Content-Type": "application/json"}
    call = urllib.request.Request(f"{runtime.url}/public/leads", data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(call, timeout=60) as response:  # noqa: S310 - localhost
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_a_web_forms_api_key_still_works_after_a_restart(runtime: LocalProcess) -> None:
    runtime.start()
    status, form = request(f"{runtime.url}/web-forms", runtime.token("forms"), "POST", {"name": "Pricing page"})
    assert status == 201
    assert _public_lead(runtime, form["api_key"], "before@web.example") == 202
    runtime.stop()
    runtime.start()
    status, kept = request(f"{runtime.url}/web-forms/{form['id']}", runtime.token("forms"))
    assert (status, kept["status"]) == (200, "active")
    assert _public_lead(runtime, form["api_key"], "after@web.example") == 202  # accepted, not a 403
    runtime.stop()
