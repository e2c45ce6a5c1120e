"""RFM scores by mid-rank in fifths, as the daily ranking finds them (a scale of the first walk's figures, then
each customer's scores), and the recency-frequency grid of segments (pure)."""

from collections.abc import Sequence
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rapport.orders.rfm import SCORES, Behaviour, Rfm, RfmScale, Segment, segment_of

Customer = tuple[str, Behaviour]


def customer(name: str, days: int | None, months: int, revenue: int) -> Customer:
    return name, Behaviour(days, months, Decimal(revenue))


def score(customers: list[Customer]) -> dict[str, Rfm]:
    scale = RfmScale()
    for _, behaviour in customers:
        scale.add(behaviour)
    scores = scale.scores()
    return {name: scores.rfm(behaviour) for name, behaviour in customers}


def test_five_customers_apart_on_every_figure_score_one_to_five():
    customers = [customer(f"c{n}", days=50 - 10 * n, months=n + 1, revenue=100 * (n + 1)) for n in range(5)]
    scored = score(customers)
    assert [scored[f"c{n}"].cell for n in range(5)] == ["111", "222", "333", "444", "555"]
    assert scored["c4"].segment is Segment.CHAMPIONS and scored["c0"].segment is Segment.HIBERNATING


def test_a_customer_alone_scores_three_and_equal_figures_score_alike():
    assert score([customer("only", 3, 2, 10)])["only"].cell == "333"
    twins = score([customer("a", 5, 3, 70), customer("b", 5, 3, 70), customer("c", 90, 1, 5)])
    assert twins["a"] == twins["b"]
    assert twins["c"].r < twins["a"].r and twins["c"].m < twins["a"].m


def test_never_having_bought_is_the_worst_recency():
    scored = score([customer("never", None, 0, 0), customer("long ago", 400, 0, 0), customer("lately", 2, 1, 9)])
    assert scored["never"].r < scored["long ago"].r < scored["lately"].r


def test_the_grid_names_every_cell_as_the_usual_rf_segments_do():
    assert {segment_of(r, f) for r in range(1, 6) for f in range(1, 6)} == set(Segment)
    assert segment_of(5, 1) is Segment.NEW and segment_of(1, 5) is Segment.CANNOT_LOSE
    assert segment_of(3, 3) is Segment.NEED_ATTENTION and segment_of(4, 4) is Segment.LOYAL


behaviours = st.lists(
    st.tuples(
        st.uuids().map(str),
        st.builds(
            Behaviour,
            days_since_last_order=st.none() | st.integers(0, 2000),
            buying_months=st.integers(0, 12),
            revenue=st.decimals(0, 10**7, places=2),
        ),
    ),
    min_size=1,
    max_size=60,
    unique_by=lambda customer: customer[0],
)


@given(behaviours)
def test_more_never_scores_less(customers: list[Customer]):
    scored = score(customers)
    for a_id, a in customers:
        for b_id, b in customers:
            if a.revenue > b.revenue:
                assert scored[a_id].m >= scored[b_id].m
            if a.buying_months > b.buying_months:
                assert scored[a_id].f >= scored[b_id].f
            if b.days_since_last_order is None or (
                a.days_since_last_order is not None and a.days_since_last_order < b.days_since_last_order
            ):
                assert scored[a_id].r >= scored[b_id].r
    assert all(1 <= rfm.r <= 5 and 1 <= rfm.f <= 5 and 1 <= rfm.m <= 5 for rfm in scored.values())


def worse_than(figure: float | None, other: float | None) -> bool:
    return other is not None and (figure is None or figure < other)


def mid_rank_score(figures: Sequence[float | None], mine: float | None) -> int:
    """The definition, over every customer's figure (more is better, None worst)."""
    worse = sum(1 for figure in figures if worse_than(figure, mine))
    equal = sum(1 for figure in figures if figure == mine)
    return min(SCORES, 1 + int(SCORES * (worse + equal / 2) / len(figures)))


@given(behaviours)
def test_each_score_is_the_customer_s_mid_rank_among_all_in_fifths(customers: list[Customer]):
    scored = score(customers)
    recency = [None if b.days_since_last_order is None else -b.days_since_last_order for _, b in customers]
    frequency = [float(b.buying_months) for _, b in customers]
    monetary = [float(b.revenue) for _, b in customers]
    for (customer_id, _), r, f, m in zip(customers, recency, frequency, monetary, strict=True):
        assert (scored[customer_id].r, scored[customer_id].f, scored[customer_id].m) == (
            mid_rank_score(recency, r),
            mid_rank_score(frequency, f),
            mid_rank_score(monetary, m),
        )
