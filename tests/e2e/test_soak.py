"""`rapport local` holds a company of 50,000 contacts (the figures README promises).

The longest test of all (most of CI's time is its seed): `make test` starts it first, and the other slow tests run
beside it on the second worker.
"""

from __future__ import annotations

import pytest

from tools.loadtest import LocalProcess, read_load, request, some_ids, write_load

pytestmark = pytest.mark.longest

SOAK_CONTACTS = 50_000


def test_a_company_of_50000_contacts(runtime: LocalProcess) -> None:
    """The soak: seeded through the bulk path, read by 8 clients, written to, restarted."""
    runtime.start()
    seeded = runtime.seed(SOAK_CONTACTS)
    assert seeded["created"]["contacts"] == SOAK_CONTACTS
    tenant = seeded["tenant"]
    reads = read_load(runtime, tenant, some_ids(runtime, tenant, "contacts"))
    writes = write_load(runtime, tenant, some_ids(runtime, tenant, "accounts", pages=1)[0])
    memory, _ = runtime.rss_mb()
    print(
        f"50,000 contacts: RSS {memory} MB, reads p50 {reads.p50:.0f} ms p99 {reads.p99:.0f} ms (8 clients), "
        f"writes p50 {writes.p50:.0f} ms"
    )
    assert reads.server_errors == writes.server_errors == 0
    assert memory < 1_500
    assert writes.p50 < 100
    assert (
        reads.p50 < 250
    )  # the goal is 50 ms on an idle 2-core machine; a read that grows with the table takes seconds
    assert runtime.stop() < 5
    restarted = runtime.start()
    print(f"50,000 contacts: restarted in {restarted:.0f} s")
    # About 18 s on an idle 2-core machine (`make bench` measures it), 76 s once on a busier CI machine: the bound
    # is for a start that grows faster than the items it loads (one re-sorting a partition at each item, say),
    # which would take many minutes.
    assert restarted < 120
    assert runtime.rss_mb()[0] < 1_500
    token = runtime.token(tenant)
    assert request(f"{runtime.url}/contacts?limit=25", token)[0] == 200
    runtime.stop()
