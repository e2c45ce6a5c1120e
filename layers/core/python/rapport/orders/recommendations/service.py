"""Cross- and up-sell: the products that customers who bought what a contact bought also bought, with the number of
customers behind each (its support).

What is kept, and by whom (rapport.orders.recommendations.store has the keys):
- per contact, its bought set: the SKUs of its counted orders (paid and fulfilled, as revenue counts them: a
  placed, cancelled or returned order bought nothing; a trashed order is no order). Its `paired` SKUs are the
  first MAX_PAIRED it bought (by the first counted order of each, then SKU): those it counts pairs for.
- per tenant and pair of products (X, Y), both ways, the support: how many contacts have both in `paired`.
- per product X, its co-bought list: the LISTED pairs of X with the most support, best first.

The customer value worker (functions/customer_value) keeps them after each order event of a contact: it computes
the contact's bought set again from its orders (one Query, as the value does), compares it with the stored one and
moves `paired` one SKU at a time, each in ONE transaction with its pair counts (X gained: +1 on (X, Y) and (Y, X)
for each Y already paired; X lost: -1), conditioned on the set's revision read, so the set and the counts never
disagree, and a redelivered or late event finds nothing to move. A move touches at most 3 x MAX_PAIRED - 1 items
(one transaction holds 100). A transaction that finds the set changed reads again and goes on (ATTEMPTS, then the
event is retried). Then it recomputes the co-bought lists of the products moved (ONE consistent Query of each
product's pairs, kept only if no pair changed meanwhile), and those of the contact's paired products it finds
stale (a run that stopped between a move and its lists). A contact erased (its `contact.erased` event) or gone has
nothing bought: its set moves to empty, which takes its pairs out, and its item is deleted.

Why lists and not a Query per owned product at read time: a read then costs the same whatever the contact bought
(the bought set with the contact, the lists of its paired products, the products: 4 requests), and a list changes
only when a customer's bought set does, far less often than recommendations are read. The counts carry no index
sorted by support: an index is eventually consistent and its sort key would have to be read before each ADD; the
worker reads the product's partition (consistent) instead, the cost falling on the write side.

The read merges the lists of the contact's paired products: each product it has not bought, with its support the
most any of them gives (an honest count of customers: summing would count a customer once per product) and the
products that led to it; ranked by support, then SKU; the first CHECKED are read from the catalogue, and those
trashed or inactive left out. A contact that bought nothing gets an empty list: best sellers would be a different
answer (the tenant's revenue ranking is GET /reports/customers; the products' is the analytics KPIs).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from rapport.auth import Action, Caller
from rapport.dal import repository
from rapport.dal.repository import StaleVersion, UnitOfWork
from rapport.errors import Busy, NotFound
from rapport.orders import store as orders_store
from rapport.orders.models import REVENUE_STATUSES
from rapport.orders.recommendations import store
from rapport.orders.recommendations.models import Recommendation, Recommendations
from rapport.orders.recommendations.store import BoughtSet
from rapport.products import store as products_store

RESOURCE = "recommendations"
DEFAULT_LIMIT = 10
MAX_LIMIT = 50
MAX_PAIRED = 30  # a move is 1 + 2 x 29 pair counts + 30 lists = 89 items
LISTED = MAX_LIMIT + MAX_PAIRED  # enough for MAX_LIMIT once the contact's own products are left out
CHECKED = store.MAX_BATCH  # candidates read from the catalogue: one BatchGetItem of guards, one of products
ATTEMPTS = 4


class Bought(NamedTuple):
    skus: tuple[str, ...]
    paired: tuple[str, ...]


NOTHING = Bought((), ())


class Move(NamedTuple):
    """One SKU into (`delta` 1) or out of (-1) a contact's paired SKUs: its pairs with `others`, what stays
    paired beside it; `paired` is the set after the move."""

    sku: str
    others: tuple[str, ...]
    delta: int
    paired: tuple[str, ...]


class Candidate(NamedTuple):
    sku: str
    support: int
    because: tuple[str, ...]


def bought_from(orders: Iterable[Mapping[str, Any]]) -> Bought:
    """What the orders (each an order's fields) bought: the SKUs of the paid and fulfilled ones, and the first
    MAX_PAIRED of them by when first bought (then SKU). `ordered_at` is canonical UTC: it sorts as text."""
    first: dict[str, str] = {}
    for order in orders:
        if order["status"] not in REVENUE_STATUSES:
            continue
        for line in order["lines"]:
            sku = line["sku"]
            first[sku] = min(first.get(sku, order["ordered_at"]), order["ordered_at"])
    earliest = sorted(first, key=lambda sku: (first[sku], sku))[:MAX_PAIRED]
    return Bought(tuple(sorted(first)), tuple(sorted(earliest)))


def moves(paired: Collection[str], wanted: Collection[str]) -> list[Move]:
    """The moves from `paired` to `wanted`: the SKUs leaving first (so the set never holds more than MAX_PAIRED),
    each in SKU order."""
    current = set(paired)
    found: list[Move] = []
    for sku in sorted(current - set(wanted)):
        current.discard(sku)
        found.append(Move(sku, tuple(sorted(current)), -1, tuple(sorted(current))))
    for sku in sorted(set(wanted) - set(paired)):
        others = tuple(sorted(current))
        current.add(sku)
        found.append(Move(sku, others, 1, tuple(sorted(current))))
    return found


def top_of(pairs: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """The LISTED pairs with the most support (then by SKU), none without support."""
    return sorted(((sku, support) for sku, support in pairs if support > 0), key=lambda pair: (-pair[1], pair[0]))[
        :LISTED
    ]


def ranked(lists: Mapping[str, Sequence[tuple[str, int]]], owned: Collection[str]) -> list[Candidate]:
    """The products of the co-bought `lists` (by the owned SKU each is of) not in `owned`: each with the most
    support any list gives it and the owned SKUs whose lists hold it (most support first, then SKU); by support,
    then SKU."""
    sources: dict[str, dict[str, int]] = {}
    for owned_sku, top in lists.items():
        for sku, support in top:
            if sku not in owned and support > 0:
                sources.setdefault(sku, {})[owned_sku] = support
    found = [
        Candidate(sku, max(by.values()), tuple(sorted(by, key=lambda source: (-by[source], source))))
        for sku, by in sources.items()
    ]
    return sorted(found, key=lambda candidate: (-candidate.support, candidate.sku))


class RecommendationService:
    def recommend(self, caller: Caller, contact_id: str, *, limit: int = DEFAULT_LIMIT) -> Recommendations:
        """The products to offer the contact next (a 404 for a contact the tenant does not have, or trashed): one
        BatchGetItem of the contact and its bought set, then, if it bought anything, one of its co-bought lists and
        two of the catalogue."""
        caller.require(RESOURCE, Action.READ)
        tenant = caller.tenant_id
        exists, trashed, bought = store.contact_and_bought(tenant, contact_id)
        if not exists or trashed:
            raise NotFound(f"No contact has the id {contact_id}.")
        if not bought.paired:
            return Recommendations(items=[])
        lists = store.co_bought(tenant, bought.paired)
        candidates = ranked({sku: found.top for sku, found in lists.items()}, set(bought.skus))[:CHECKED]
        if not candidates:
            return Recommendations(items=[])
        products = products_store.live_by_sku(tenant, [candidate.sku for candidate in candidates])
        items: list[Recommendation] = []
        for candidate in candidates:
            product = products.get(candidate.sku)
            if product is None or not product.data.get("active", True):
                continue
            items.append(
                Recommendation(
                    sku=candidate.sku,
                    name=product.data["name"],
                    category=product.data.get("category"),
                    unit_price=product.data["unit_price"],
                    currency=product.data["currency"],
                    support=candidate.support,
                    because=list(candidate.because),
                )
            )
            if len(items) == limit:
                break
        return Recommendations(items=items)

    def refresh(self, tenant_id: str, contact_ids: Iterable[str]) -> int:
        """Bring each contact's bought set, its pair counts and the co-bought lists they change in line with its
        orders (nothing bought for a contact that is gone); returns how many bought sets changed."""
        return sum(self._refresh(tenant_id, contact_id) for contact_id in contact_ids)

    def forget(self, tenant_id: str, contact_id: str) -> bool:
        """An erased contact's bought set taken out, with its pairs (after its erase): whether it had one."""
        return self._refresh(tenant_id, contact_id)

    def _refresh(self, tenant_id: str, contact_id: str) -> bool:
        for _attempt in range(ATTEMPTS):
            exists, _trashed, stored = store.contact_and_bought(tenant_id, contact_id)
            wanted = self._bought(tenant_id, contact_id) if exists else NOTHING
            try:
                touched = self._move(tenant_id, contact_id, stored, wanted)
            except StaleVersion:
                continue
            self._relist(tenant_id, touched, set(wanted.paired) - touched)
            return stored.skus != wanted.skus or bool(touched)
        raise Busy(f"The bought set of contact {contact_id} kept changing while it was brought in line; retry.")

    def _bought(self, tenant_id: str, contact_id: str) -> Bought:
        return bought_from(order.data for order in repository.records(orders_store.of_contact(tenant_id, contact_id)))

    def _move(self, tenant_id: str, contact_id: str, stored: BoughtSet, wanted: Bought) -> set[str]:
        """Move the stored set to `wanted`, one transaction per move; the SKUs whose pairs changed."""
        planned = moves(stored.paired, wanted.paired)
        if not planned and stored.skus == wanted.skus:
            return set()
        read, touched = stored, set()
        for move in planned or [Move("", (), 0, wanted.paired)]:  # none: only SKUs beyond the paired changed
            written = BoughtSet(wanted.skus, move.paired, read.revision + 1)
            work = UnitOfWork()
            store.stage_bought(work, tenant_id, contact_id, read, written)
            if move.delta:
                store.stage_pairs(work, tenant_id, move.sku, move.others, move.delta)
                touched |= {move.sku, *move.others}
            work.commit()
            read = written
        return touched

    def _relist(self, tenant_id: str, touched: set[str], paired: set[str]) -> None:
        """Compute again the co-bought lists of the `touched` products, and those of `paired` found stale."""
        ordered = sorted(paired)
        for start in range(0, len(ordered), store.MAX_BATCH):
            lists = store.co_bought(tenant_id, ordered[start : start + store.MAX_BATCH])
            touched |= {sku for sku, found in lists.items() if not found.current}
        for sku in sorted(touched):
            for _attempt in range(ATTEMPTS):
                changes, pairs = store.pair_counts(tenant_id, sku)
                if store.put_co_bought(tenant_id, sku, top_of(pairs), changes):
                    break


recommendations = RecommendationService()
