"""Orders: records `T#<t>#ORD#<id>` of a contact and/or an account, their lines priced from the catalogue
(rapport.products), listed newest first for the tenant and for each customer (its store), and recorded in the
timelines of the order and its customers when placed and at each status change.

Every order write is one transaction: the order, its guards (number, external id), its customers and deal checked
live, its timeline entries. A back office's batch (`OrderService.receive`) writes each order in its own
transaction, so an order is never half written, whatever happens to the others.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import ValidationError
from ulid import ULID

from rapport import normalize, timeline
from rapport.accounts.manifest import ACCOUNT
from rapport.api.filters import Combinations
from rapport.auth import Action, Caller
from rapport.contacts.manifest import CONTACT
from rapport.contexts import Kind
from rapport.dal import repository
from rapport.dal.repository import Guard, IndexKeys, Parent, Record, UnitOfWork
from rapport.deals.manifest import DEAL
from rapport.deals.money import cents, convert
from rapport.deals.rates import current_rates
from rapport.deals.store import RateTable
from rapport.errors import FieldError, InvalidInput, NotFound, RapportError
from rapport.orders import store, value
from rapport.orders.episode import RetentionEpisode
from rapport.orders.manifest import ORDER
from rapport.orders.models import NEXT_STATUSES, Order, OrderCreate, OrderStatus, OrderStored
from rapport.orders.standing import CustomerStanding, CustomerValueAndStanding
from rapport.orders.timeline import OrderEntry
from rapport.orders.value import CustomerOrders
from rapport.pagination import Page
from rapport.products import store as products_store
from rapport.records import RecordService, field_errors
from rapport.types import utc_now

MAX_AMOUNT = Decimal("999999999999.99")  # what a Money field holds
MAX_BATCH = 100

# The filters of GET /orders, each one Query (see `OrderService.search`).
FILTERS = Combinations("Orders", ((), ("deleted",), ("number",)))


class Prices(NamedTuple):
    """What pricing an order reads: the live products of its SKUs, by SKU, and the tenant's currency rates."""

    products: Mapping[str, Record]
    rates: RateTable


LoadPrices = Callable[[str, Collection[str]], Prices]


def stored_prices(tenant_id: str, skus: Collection[str]) -> Prices:
    """The products of `skus` (at most 100) and the rates as stored: three reads."""
    return Prices(products_store.live_by_sku(tenant_id, skus), current_rates(tenant_id))


class ItemResult(NamedTuple):
    """One order of a batch: 201 created, 200 updated (its external id was known), or its problem."""

    status: int
    order: Order | None = None
    error: RapportError | None = None


class OrderService(RecordService[OrderCreate, Order]):
    kind = ORDER
    resource = "orders"
    label = "order"
    create_model = OrderStored
    out_model = Order

    def __init__(self, load_prices: LoadPrices = stored_prices) -> None:
        self.load_prices = load_prices

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        held = {store.number_guard(data["number"]): "number"}
        if data.get("external_id"):
            held[store.external_id_guard(data["external_id"])] = "external_id"
        return held

    def parents(self, data: Mapping[str, Any]) -> dict[Parent, str]:
        linked = {Parent(kind, data[field]): field for field, kind in _CUSTOMER_FIELDS.items() if data.get(field)}
        if data.get("deal_id"):
            linked[Parent(DEAL, data["deal_id"])] = "deal_id"
        return linked

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return store.index_keys(
            tenant_id,
            record_id,
            number=data["number"],
            ordered_at=data["ordered_at"],
            contact_id=data.get("contact_id"),
            account_id=data.get("account_id"),
            deleted=deleted,
        )

    def derive(self, tenant_id: str, data: dict[str, Any], before: Record | None) -> dict[str, Any]:
        """A new order is ordered now unless it says when, and is its contact's account's unless it names one; a
        status moves only forward (NEXT_STATUSES); new lines or a new currency are priced again."""
        if before is None:
            data.setdefault("ordered_at", normalize.instant(utc_now()))
            if not data.get("account_id"):
                data.update(_account_of(tenant_id, data["contact_id"]))
        else:
            _require_transition(OrderStatus(before.data["status"]), OrderStatus(data["status"]))
        repriced = before is None or any(data.get(name) != before.data.get(name) for name in ("lines", "currency"))
        return self._priced(tenant_id, data) if repriced else data

    def stage_update(self, work: UnitOfWork, caller: Caller, record: Record, changes: Mapping[str, Any]) -> None:
        """An order moved to another contact takes that contact's account, unless the change names one."""
        contact_id = changes.get("contact_id")
        moved = isinstance(contact_id, str) and contact_id != record.data.get("contact_id")
        if moved and "account_id" not in changes and not record.deleted:
            changes = {**changes, "account_id": _account_of(caller.tenant_id, str(contact_id)).get("account_id")}
        super().stage_update(work, caller, record, changes)

    def _priced(self, tenant_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """`data` in a currency the tenant prices, each line with its unit price (the product's, when in the order's
        currency), `total` and `tenant_total` computed; each line at fault is named (`lines[i].sku`, ...)."""
        prices = self.load_prices(tenant_id, {line["sku"] for line in data["lines"]})
        table = prices.rates
        currency = data.setdefault("currency", table.currency)
        if currency != table.currency and currency not in table.rates:
            raise InvalidInput.of(
                "currency",
                f"has no rate in the tenant's currency rates (tenant currency {table.currency}); an admin adds one "
                "with PUT /currency-rates",
                "no_rate",
            )
        total, errors = Decimal(0), []
        for index, line in enumerate(data["lines"]):
            amount = _line_amount(index, line, prices.products.get(line["sku"]), currency)
            if isinstance(amount, FieldError):
                errors.append(amount)
            else:
                total += amount
        if errors:
            raise InvalidInput("Some lines of the order are not valid.", errors)
        tenant_total = convert(total, currency, table.currency, table.rates)
        if total > MAX_AMOUNT or tenant_total is None or tenant_total > MAX_AMOUNT:
            raise InvalidInput.of("lines", f"add up to more than {MAX_AMOUNT}", "too_large")
        data["total"] = str(cents(total))
        data["tenant_total"] = {"amount": str(cents(tenant_total)), "currency": table.currency}
        return data

    def linked_writes(self, work: UnitOfWork, before: Record | None, after: Record | None) -> None:
        """An order placed, or moved to another status, is an entry in its own and its customers' timelines."""
        if after is None or after.deleted or (before is not None and before.data["status"] == after.data["status"]):
            return
        entry = _order_entry(after, None if before is None else before.data["status"])
        for item in timeline.entry_items(after.tenant_id, entry, _timelines(after)):
            work.put_item(item)

    def erase(self, caller: Caller, record_id: str, expected_version: int | None) -> None:
        """For good: the order and its guards in one transaction, then its timeline entries."""
        super().erase(caller, record_id, expected_version)
        timeline.delete_entries(caller.tenant_id, Parent(ORDER, record_id), OrderEntry)

    # Lists

    def search(
        self, caller: Caller, *, number: str | None, deleted: bool, limit: int, cursor: str | None
    ) -> Page[Order]:
        """The tenant's orders (or the trash), newest first, or the one with a number: one Query each."""
        filters: dict[str, Any] = {"number": number, "deleted": deleted}
        FILTERS.check(filters)
        tenant = caller.tenant_id
        found = store.by_number(tenant, number) if number is not None else store.listed(tenant, deleted=deleted)
        return self.list(caller, found, limit=limit, cursor=cursor, bound_to=filters)

    def of_customer(
        self, caller: Caller, kind: Kind, customer_id: str, *, limit: int, cursor: str | None
    ) -> Page[Order]:
        """A contact's or an account's live orders, newest first: one Query; a first page without orders reads the
        customer too (a 404 for one the tenant does not have)."""
        tenant = caller.tenant_id
        found = store.of_customer(tenant, kind, customer_id)
        page = self.list(caller, found, limit=limit, cursor=cursor, bound_to={kind.code: customer_id})
        if cursor is None and not page.items and repository.get(tenant, kind, customer_id) is None:
            raise NotFound(f"No {kind.label} has the id {customer_id}.")
        return page

    # Customer value

    def value_of(self, caller: Caller, kind: Kind, customer_id: str) -> CustomerValueAndStanding:
        """A contact's or an account's value figures and latest orders (zero before its first order), its standing
        (once ranked) and its latest retention episode: one BatchGetItem, which reads the customer too (a 404 for one
        the tenant does not have)."""
        caller.require(self.resource, Action.READ)
        found = store.customer_and_value(caller.tenant_id, kind, customer_id)
        if not found.exists:
            raise NotFound(f"No {kind.label} has the id {customer_id}.")
        orders = value.no_orders() if found.value is None else CustomerOrders.model_validate(found.value)
        return CustomerValueAndStanding(
            **dict(orders),
            standing=CustomerStanding.model_validate(found.standing) if found.standing else None,
            retention=RetentionEpisode.model_validate(found.retention) if found.retention else None,
        )

    def refresh_value(self, tenant_id: str, customers: Iterable[Parent], *, now: datetime, as_of: str) -> int:
        """Compute each customer's value again from its orders (one Query each, streamed) against `now`, for an
        event of time `as_of`; returns how many were written (figures for a later event are left as they are)."""
        written = 0
        for customer in customers:
            found = repository.records(store.of_customer(tenant_id, customer.kind, customer.id))
            figures = value.tally(({**order.data, "id": order.id} for order in found), now)
            written += store.put_value(tenant_id, customer.kind, customer.id, figures.model_dump(mode="json"), as_of)
        return written

    def forget_customer(self, tenant_id: str, customer: Parent) -> None:
        """After a contact's or an account's erase: its value, standing and retention episode deleted."""
        store.forget(tenant_id, customer.kind, customer.id)

    # A back office's batch

    def receive(self, caller: Caller, sent: Sequence[Mapping[str, Any]]) -> list[ItemResult]:
        """Each order of `sent` (at most MAX_BATCH) created, or, when its `external_id` names one already recorded
        (earlier in this batch too), that order updated to what was sent: one transaction per order, one result
        per order in the order sent. The products, rates and known external ids are read once for the batch."""
        external_ids = [item["external_id"] for item in sent if isinstance(item.get("external_id"), str)]
        known = store.by_external_id(caller.tenant_id, external_ids)
        batch = OrderService(self._batch_prices(caller.tenant_id, sent))
        results = []
        for item in sent:
            result = batch._received(caller, item, known)
            if result.order is not None and result.order.external_id:
                known[result.order.external_id] = result.order.id
            results.append(result)
        return results

    def _received(self, caller: Caller, item: Mapping[str, Any], known: Mapping[str, str]) -> ItemResult:
        try:
            payload = OrderCreate.model_validate(item)
        except ValidationError as error:
            return ItemResult(422, error=InvalidInput("The order is not valid.", field_errors(error)))
        try:
            existing = known.get(payload.external_id or "")
            if existing is None:
                return ItemResult(201, self.create(caller, payload))
            return ItemResult(200, self._resent(caller, existing, payload))
        except RapportError as error:
            return ItemResult(error.status, error=error)

    def _resent(self, caller: Caller, order_id: str, payload: OrderCreate) -> Order:
        """The order `order_id` made what `payload` says, whole: what it leaves out is removed, but for its time
        and currency (kept unless sent) and its account (kept unless sent or the contact changes: then the new
        contact's, as for any change of contact)."""
        current = self.get(caller, order_id)
        sent = payload.model_dump(mode="json", exclude_none=True)
        patch: dict[str, Any] = {name: sent.get(name) for name in _SENT_FIELDS}
        for kept in ("ordered_at", "currency"):
            if kept not in sent:
                del patch[kept]
        if "account_id" not in sent:
            del patch["account_id"]  # kept, or the new contact's (`stage_update`)
        return self.update(caller, order_id, patch, current.version)

    def _batch_prices(self, tenant_id: str, sent: Iterable[Mapping[str, Any]]) -> LoadPrices:
        skus = {sku for item in sent for sku in _skus_sent(item)}
        products: dict[str, Record] = {}
        ordered = sorted(skus)
        for start in range(0, len(ordered), MAX_BATCH):
            products.update(products_store.live_by_sku(tenant_id, ordered[start : start + MAX_BATCH]))
        loaded = Prices(products, current_rates(tenant_id))
        return lambda _tenant, _skus: loaded


_CUSTOMER_FIELDS: dict[str, Kind] = {"contact_id": CONTACT, "account_id": ACCOUNT}
_SENT_FIELDS = tuple(name for name in OrderCreate.model_fields if name not in ("total", "tenant_total"))


def _skus_sent(item: Mapping[str, Any]) -> list[str]:
    """The SKUs an order of a batch names, whatever else it holds (it is validated later, on its own)."""
    lines = item.get("lines")
    if not isinstance(lines, list):
        return []
    return [line["sku"] for line in lines if isinstance(line, dict) and isinstance(line.get("sku"), str)]


def _account_of(tenant_id: str, contact_id: str) -> dict[str, str]:
    """The contact's account, as an order's `account_id` (none when the contact has none)."""
    contact = repository.get(tenant_id, CONTACT, contact_id)
    if contact is None or contact.deleted:
        raise InvalidInput.of("contact_id", f"No live contact has the id {contact_id}.", "unknown_reference")
    account_id = contact.data.get("account_id")
    return {"account_id": account_id} if account_id else {}


def _require_transition(before: OrderStatus, after: OrderStatus) -> None:
    if after != before and after not in NEXT_STATUSES[before]:
        allowed = ", ".join(sorted(NEXT_STATUSES[before])) or "none: it is final"
        raise InvalidInput.of(
            "status", f"cannot go from {before} to {after}; from {before} it may go to {allowed}", "invalid_transition"
        )


def _line_amount(index: int, line: dict[str, Any], product: Record | None, currency: str) -> Decimal | FieldError:
    """The line's amount (quantity x unit price - discount), its unit price set from `product` if it has none; or
    the line's problem."""
    at = f"lines[{index}]"
    if product is None:
        return FieldError(f"{at}.sku", f"is no live product's SKU: {line['sku']}", "unknown_reference")
    if "unit_price" not in line:
        if product.data["currency"] != currency:
            return FieldError(
                f"{at}.unit_price",
                f"is required: the product is priced in {product.data['currency']}, the order is in {currency}",
                "required",
            )
        line["unit_price"] = product.data["unit_price"]
    gross = Decimal(line["unit_price"]) * line["quantity"]
    if gross > MAX_AMOUNT:
        return FieldError(f"{at}.quantity", f"times the unit price is more than {MAX_AMOUNT}", "too_large")
    discount = Decimal(line.get("discount", "0"))
    if discount > gross:
        return FieldError(
            f"{at}.discount", f"is more than the line's amount {cents(gross)} (quantity x unit_price)", "too_large"
        )
    amount: Decimal = gross - discount
    return amount


def _timelines(order: Record) -> list[Parent]:
    """The timelines an order's entry goes to: the order's and its customers'."""
    owners = [Parent(ORDER, order.id)]
    owners += [Parent(kind, order.data[field]) for field, kind in _CUSTOMER_FIELDS.items() if order.data.get(field)]
    return owners


def _order_entry(order: Record, from_status: str | None) -> OrderEntry:
    at = datetime.fromisoformat(order.updated_at)
    return OrderEntry(
        id=str(ULID.from_datetime(at)),
        occurred_at=at,
        created_by=order.updated_by,
        contact_id=order.data.get("contact_id"),
        account_id=order.data.get("account_id"),
        order_id=order.id,
        number=order.data["number"],
        status=order.data["status"],
        from_status=from_status,
        total=order.data["total"],
        currency=order.data["currency"],
    )


orders = OrderService()
