"""A segment's filter: a tree of `and`/`or`/`not` over clauses on a contact and its account, and its evaluation.

The models are a pydantic union discriminated by `type`, so a bad clause is refused with the JSON path of the
field at fault. `matches` is pure: it evaluates a filter over a `ContactView`, what the membership worker reads of
one contact (rapport.segments.view); text compares case-insensitively.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import Field, ValidationError, ValidatorFunctionWrapHandler, WrapValidator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from rapport.accounts.models import CompanySize
from rapport.consent.models import Channel, ConsentStatus, TopicName
from rapport.orders.churn import ChurnStatus
from rapport.orders.ranking import Tier
from rapport.types import Instant, ShortText, StrictModel, Tag, UserId

MAX_DEPTH = 6
MAX_CLAUSES = 50


class ContactField(StrEnum):
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    EMAIL = "email"
    PHONE = "phone"
    JOB_TITLE = "job_title"
    CITY = "city"
    COUNTRY = "country"


class TextOperator(StrEnum):
    EQUALS = "equals"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    IS_SET = "is_set"


class NoConsent(StrEnum):
    """No state recorded on the channel (or topic): never asked."""

    UNKNOWN = "unknown"


class FieldClause(StrictModel):
    """A contact's field compared with `value` (case aside); `is_set`: it has one, and takes no value."""

    type: Literal["field"]
    field: ContactField
    op: TextOperator
    value: ShortText | None = None

    @model_validator(mode="after")
    def _value_when_compared(self) -> FieldClause:
        if self.op is TextOperator.IS_SET and self.value is not None:
            raise ValueError("is_set takes no value")
        if self.op is not TextOperator.IS_SET and self.value is None:
            raise ValueError(f"{self.op} needs a value")
        return self


class TagClause(StrictModel):
    """The contact has the tag (case aside)."""

    type: Literal["tag"]
    tag: Tag


class ConsentClause(StrictModel):
    """The contact's consent on `channel` (to `topic` on it, if given) is one of `statuses`; `unknown` is none
    recorded."""

    type: Literal["consent"]
    channel: Channel
    topic: TopicName | None = None
    statuses: list[ConsentStatus | NoConsent] = Field(min_length=1, max_length=4)


class OwnerClause(StrictModel):
    """The contact's owner is one of `owner_ids`."""

    type: Literal["owner"]
    owner_ids: list[UserId] = Field(min_length=1, max_length=50)


class IndustryClause(StrictModel):
    """The contact's account is in one of `industries` (case aside)."""

    type: Literal["account_industry"]
    industries: list[ShortText] = Field(min_length=1, max_length=50)


class SizeClause(StrictModel):
    """The contact's account's head count band is one of `sizes`."""

    type: Literal["account_size"]
    sizes: list[CompanySize] = Field(min_length=1, max_length=len(CompanySize))


class TierClause(StrictModel):
    """The contact's value tier (the daily ranking's) is one of `tiers`; an unranked contact has none."""

    type: Literal["value_tier"]
    tiers: list[Tier] = Field(min_length=1, max_length=len(Tier))


class ChurnClause(StrictModel):
    """The contact's churn status (the daily ranking's) is one of `statuses`; an unranked contact has none."""

    type: Literal["churn_status"]
    statuses: list[ChurnStatus] = Field(min_length=1, max_length=len(ChurnStatus))


class OpenDealClause(StrictModel):
    """The contact is on an open deal (`has`: true), or on none (false)."""

    type: Literal["open_deal"]
    has: bool


class LastActivityClause(StrictModel):
    """The contact's latest activity happened `after` (inclusive) and/or `before` (exclusive); a contact with no
    activity matches no bound."""

    type: Literal["last_activity"]
    after: Instant | None = None
    before: Instant | None = None

    @model_validator(mode="after")
    def _a_bound(self) -> LastActivityClause:
        if self.after is None and self.before is None:
            raise ValueError("needs after, before or both")
        if self.after is not None and self.before is not None and self.after >= self.before:
            raise ValueError("after must be earlier than before")
        return self


class AndFilter(StrictModel):
    """Every filter of `filters` holds."""

    type: Literal["and"]
    filters: list[Filter] = Field(min_length=1, max_length=MAX_CLAUSES)


class OrFilter(StrictModel):
    """At least one filter of `filters` holds."""

    type: Literal["or"]
    filters: list[Filter] = Field(min_length=1, max_length=MAX_CLAUSES)


class NotFilter(StrictModel):
    """`filter` does not hold."""

    type: Literal["not"]
    filter: Filter


Clause = (
    FieldClause
    | TagClause
    | ConsentClause
    | OwnerClause
    | IndustryClause
    | SizeClause
    | TierClause
    | ChurnClause
    | OpenDealClause
    | LastActivityClause
)
Node = AndFilter | OrFilter | NotFilter | Clause


def _json_paths(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """The node validated, its errors located by JSON path (`filters[1].value`): pydantic starts each error's
    location with the node's type (`or.filters.1.field.value`), which names no member of the JSON sent. Each node
    takes its own type out (its children have taken theirs)."""
    try:
        return handler(value)
    except ValidationError as error:
        tag = value.get("type") if isinstance(value, dict) else None
        details = [
            InitErrorDetails(
                type=PydanticCustomError(entry["type"], entry["msg"].removeprefix("Value error, ")),
                loc=tuple(entry["loc"][1:] if entry["loc"][:1] == (tag,) else entry["loc"]),
                input=entry["input"],
            )
            for entry in error.errors()
        ]
        raise ValidationError.from_exception_data(error.title, details) from None


Filter = Annotated[Node, Field(discriminator="type"), WrapValidator(_json_paths)]

for _model in (AndFilter, OrFilter, NotFilter):
    _model.model_rebuild()


def shape_errors(tree: Node) -> list[str]:
    """What makes a valid tree too big to evaluate: deeper than MAX_DEPTH, or more than MAX_CLAUSES nodes."""
    depth, nodes = _measure(tree)
    errors = []
    if depth > MAX_DEPTH:
        errors.append(f"nests {depth} levels deep; at most {MAX_DEPTH}")
    if nodes > MAX_CLAUSES:
        errors.append(f"holds {nodes} clauses and groups; at most {MAX_CLAUSES}")
    return errors


def _measure(tree: Node) -> tuple[int, int]:
    children = (
        tree.filters if isinstance(tree, AndFilter | OrFilter) else [tree.filter] if isinstance(tree, NotFilter) else []
    )
    measured = [_measure(child) for child in children]
    return 1 + max((depth for depth, _ in measured), default=0), 1 + sum(nodes for _, nodes in measured)


class ContactView(NamedTuple):
    """What a filter reads of one live contact: its fields, its account's, whether it is on an open deal, its
    standing from the daily ranking (tier, churn status) and when its latest activity happened."""

    contact: Mapping[str, Any]
    account: Mapping[str, Any] | None = None
    open_deals: int = 0
    tier: str | None = None
    churn_status: str | None = None
    last_activity_at: datetime | None = None


def matches(tree: Node, view: ContactView) -> bool:
    """Whether the contact `view` shows is selected by `tree`."""
    match tree:
        case AndFilter():
            return all(matches(child, view) for child in tree.filters)
        case OrFilter():
            return any(matches(child, view) for child in tree.filters)
        case NotFilter():
            return not matches(tree.filter, view)
        case FieldClause():
            return _text_matches(tree, _field_value(view.contact, tree.field))
        case TagClause():
            return tree.tag.casefold() in {tag.casefold() for tag in view.contact.get("tags", [])}
        case ConsentClause():
            return _consent_status(view.contact, tree.channel, tree.topic) in tree.statuses
        case OwnerClause():
            return view.contact.get("owner_id") in tree.owner_ids
        case IndustryClause():
            industry = (view.account or {}).get("industry")
            return industry is not None and industry.casefold() in {name.casefold() for name in tree.industries}
        case SizeClause():
            return (view.account or {}).get("size") in tree.sizes
        case TierClause():
            return view.tier in tree.tiers
        case ChurnClause():
            return view.churn_status in tree.statuses
        case OpenDealClause():
            return (view.open_deals > 0) is tree.has
        case LastActivityClause():
            return _within(view.last_activity_at, tree.after, tree.before)
    raise AssertionError(f"unknown clause {tree!r}")


def _field_value(contact: Mapping[str, Any], field: ContactField) -> str | None:
    if field in (ContactField.CITY, ContactField.COUNTRY):
        value = (contact.get("address") or {}).get(field.value)
    else:
        value = contact.get(field.value)
    return str(value) if value else None


def _text_matches(clause: FieldClause, value: str | None) -> bool:
    if clause.op is TextOperator.IS_SET or value is None:
        return value is not None
    wanted, have = str(clause.value).casefold(), value.casefold()
    if clause.op is TextOperator.EQUALS:
        return have == wanted
    if clause.op is TextOperator.CONTAINS:
        return wanted in have
    return have.startswith(wanted)


def _consent_status(contact: Mapping[str, Any], channel: Channel, topic: str | None) -> str:
    consent = contact.get("consent") or {}
    state = (
        consent.get(channel.value)
        if topic is None
        else ((consent.get("topics") or {}).get(channel.value) or {}).get(topic)
    )
    return str(state["status"]) if state else NoConsent.UNKNOWN.value


def _within(at: datetime | None, after: datetime | None, before: datetime | None) -> bool:
    if at is None:
        return False
    return (after is None or at >= after) and (before is None or at < before)
