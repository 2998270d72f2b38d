"""Daily totals: kept up to date in the transaction of each event that moves them, and
rebuilt from scratch by the same SQL.

One statement per event for both tables: the event's rows are computed from the orders,
their lines and their status events (the STATUS OrderEvent is when a sale or return happened),
and added to the day's rows with INSERT … ON CONFLICT DO UPDATE SET x = x + EXCLUDED.x: the
database adds, so concurrent payments on the same day and variant all count, and no row is
read into Python and written back. The rebuild runs the very same SELECT over every event
instead of one, so what the upkeep adds and what the rebuild finds cannot disagree by
construction; tests/reports checks both against an independent computation.

Which status changes are sales and returns comes from the status machine (orders.status):
a move that books the sale is a sale, one that reverses it is a return.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.prepared import prepared_cursor
from orders.models import OrderEvent
from orders.status import TRANSITIONS, Effect

from .models import CostChange, DailyTotals, VariantSales

FIGURES = (
    "units_sold",
    "units_returned",
    "gross_sales",
    "discounts",
    "returns",
    "cost",
    "unknown_cost_units",
    "unknown_cost_sales",
)
ORDER_FIGURES = ("orders", "orders_returned", "shipping", "tax")


def _pairs(effect: str) -> list[tuple[str, str]]:
    return sorted((t.source, t.target) for t in TRANSITIONS.values() if effect in t.effects)


def _pairs_sql(pairs: list[tuple[str, str]]) -> str:
    # Status values are the code's own constants (TextChoices), never user input.
    return ", ".join(f"('{a}', '{b}')" for a, b in pairs)


SALES = _pairs(Effect.BOOK_SALE)
RETURNS = _pairs(Effect.REVERSE_SALE)

# The sale and return events, with their day in the store's timezone and sign.
_EVENTS = f"""
    SELECT e.id, e.order_id, (e.created_at AT TIME ZONE %(tz)s)::date AS day,
           CASE WHEN (e.from_status, e.to_status) IN ({_pairs_sql(SALES)}) THEN 1 ELSE -1 END
               AS sign
    FROM orders_orderevent e
    WHERE e.kind = '{OrderEvent.Kind.STATUS}'
      AND (e.from_status, e.to_status) IN ({_pairs_sql(SALES + RETURNS)})
      AND {{events}}
"""  # noqa: S608  (constants only: the code's status values; values go in params)

# An event's figures per line. A line's net is unit price × quantity − its discount; a cost
# of 0.00 is a cost nobody recorded.
_LINE_MOVES = f"""
    SELECT ev.day, o.channel, l.variant_id, l.product_id,
           CASE WHEN ev.sign > 0 THEN l.quantity ELSE 0 END AS units_sold,
           CASE WHEN ev.sign < 0 THEN l.quantity ELSE 0 END AS units_returned,
           CASE WHEN ev.sign > 0 THEN l.unit_price * l.quantity ELSE 0 END AS gross_sales,
           CASE WHEN ev.sign > 0 THEN l.discount ELSE 0 END AS discounts,
           CASE WHEN ev.sign < 0 THEN l.unit_price * l.quantity - l.discount ELSE 0 END
               AS returns,
           ev.sign * l.unit_cost * l.quantity AS cost,
           CASE WHEN l.unit_cost = 0 THEN ev.sign * l.quantity ELSE 0 END
               AS unknown_cost_units,
           CASE WHEN l.unit_cost = 0
                THEN ev.sign * (l.unit_price * l.quantity - l.discount) ELSE 0 END
               AS unknown_cost_sales,
           0 AS orders, 0 AS orders_returned, 0 AS shipping, 0 AS tax
    FROM ({_EVENTS}) ev
    JOIN orders_order o ON o.id = ev.order_id
    JOIN orders_orderline l ON l.order_id = ev.order_id
"""  # noqa: S608

# An event's whole-order amounts: the order discount, shipping and tax.
_ORDER_MOVES = f"""
    SELECT ev.day, o.channel, NULL::bigint, NULL::bigint,
           0, 0, 0,
           CASE WHEN ev.sign > 0 THEN o.discount_total ELSE 0 END,
           CASE WHEN ev.sign < 0 THEN -o.discount_total ELSE 0 END,
           0, 0, 0,
           (ev.sign > 0)::int, (ev.sign < 0)::int,
           ev.sign * o.shipping_total, ev.sign * o.tax_total
    FROM ({_EVENTS}) ev
    JOIN orders_order o ON o.id = ev.order_id
"""  # noqa: S608

_COST_MOVES = """
    SELECT c.day, c.channel, c.variant_id, c.product_id,
           0, 0, 0, 0, 0, c.cost_delta, c.unknown_cost_units_delta, c.unknown_cost_sales_delta,
           0, 0, 0, 0
    FROM reports_costchange c
    WHERE {changes}
"""


MOVE_COLUMNS = ", ".join(("day", "channel", "variant_id", "product_id", *FIGURES, *ORDER_FIGURES))
VARIANT_KEY = ("period", "start", "channel", "variant_id", "product_id")


def _added(figures: tuple[str, ...], alias: str) -> str:
    return ", ".join(f"{f} = {alias}.{f} + EXCLUDED.{f}" for f in figures)


def _statement(*, events: str, changes: str) -> str:
    """One statement for both tables: the moves are computed once (a MATERIALIZED CTE, one
    round trip), then added to the (day, channel) rows and to each variant's rows of its day,
    week and month, in its channel and in all channels (""): six rows per variant moved.

    Both INSERTs take their rows in key order (ORDER BY), and every transaction runs the same
    statement, so all take them in the same order: the variants' first, then the days' (Postgres
    finishes an unreferenced data-modifying CTE after the main statement; its manual leaves
    the order open, and tests/reports/test_concurrency.py races payments and rollbacks on the
    same day and variants to show no deadlock and exact totals).
    """
    daily_figures = FIGURES + ORDER_FIGURES
    line_moves = _LINE_MOVES.format(events=events)
    order_moves = _ORDER_MOVES.format(events=events)
    cost_moves = _COST_MOVES.format(changes=changes)
    variant_key = ", ".join(VARIANT_KEY)
    return f"""
        WITH m ({MOVE_COLUMNS}, per_variant) AS MATERIALIZED (
            SELECT *, true FROM ({line_moves}) lines
            UNION ALL SELECT *, false FROM ({order_moves}) orders
            UNION ALL SELECT *, true FROM ({cost_moves}) costs
        ), daily AS (
            INSERT INTO {DailyTotals._meta.db_table} AS t (day, channel, {", ".join(daily_figures)})
            SELECT day, channel, {", ".join(f"sum({f})" for f in daily_figures)}
            FROM m
            GROUP BY day, channel
            ORDER BY day, channel
            ON CONFLICT (day, channel) DO UPDATE SET {_added(daily_figures, "t")}
        )
        INSERT INTO {VariantSales._meta.db_table} AS t ({variant_key}, {", ".join(FIGURES)})
        SELECT g.period, g.start, c.channel, m.variant_id, m.product_id,
               {", ".join(f"sum(m.{f})" for f in FIGURES)}
        FROM m
        CROSS JOIN LATERAL (VALUES
            ('day', m.day),
            ('week', date_trunc('week', m.day::timestamp)::date),
            ('month', date_trunc('month', m.day::timestamp)::date)
        ) g (period, start)
        CROSS JOIN LATERAL (VALUES (m.channel), ('')) c (channel)
        WHERE m.per_variant
        GROUP BY 1, 2, 3, 4, 5
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ({variant_key}) DO UPDATE SET {_added(FIGURES, "t")}
    """  # noqa: S608  (table and column names are the code's own; values go in params)


EVENT_STATEMENT = _statement(events="e.id = %(event)s", changes="false")
COST_STATEMENT = _statement(events="false", changes="c.id = %(change)s")
REBUILD_STATEMENT = _statement(events="true", changes="true")


def _run(sql: str, params: dict, *, prepare: bool = False) -> None:
    params = {"tz": settings.TIME_ZONE, **params}
    if not prepare:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    # Every payment runs it: prepared once per connection, its planning (~2 ms, of joins
    # over VALUES and UNIONs) is saved.
    with prepared_cursor() as cursor:
        cursor.execute(sql, params, prepare=True)


def is_counted(from_status: str, to_status: str) -> bool:
    """Whether a status change is a sale or a return (what moves the daily totals)."""
    return (from_status, to_status) in SALES or (from_status, to_status) in RETURNS


def daily_totals_add_event(*, event_id: int) -> None:
    """Add a sale or return (its STATUS OrderEvent) to its day's rows, inside the caller's
    transaction (the one that changed the order's status)."""
    _run(EVENT_STATEMENT, {"event": event_id}, prepare=True)


def _share(amount: Decimal, part: int, whole: int) -> Decimal:
    return (amount * part / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def daily_totals_add_cost_change(*, po_line, quantity: int, at=None) -> CostChange:
    """A vendor shipped `quantity` units of `po_line`: from today their cost is the PO
    line's, replacing the line's. Inside the caller's transaction (the vendor's shipment).

    A line that had no cost recorded gets one: its units and their share of the line's sales
    leave "unknown cost". Shares are cumulative (what has shipped after, minus before), so
    the parts of a line shipped in several goes add up to the line's sales to the cent.
    """
    line = po_line.order_line
    at = at or timezone.now()
    unknown = line.unit_cost == 0
    before = sum(
        CostChange.objects.filter(order_line_id=line.pk).values_list("quantity", flat=True)
    )
    net = line.unit_price * line.quantity - line.discount
    change = CostChange.objects.create(
        po_line_id=po_line.pk,
        order_line_id=line.pk,
        quantity=quantity,
        happened_at=at,
        day=timezone.localdate(at),
        channel=line.order.channel,
        variant_id=line.variant_id,
        product_id=line.product_id,
        cost_delta=(po_line.unit_cost - line.unit_cost) * quantity,
        unknown_cost_units_delta=-quantity if unknown else 0,
        unknown_cost_sales_delta=(
            -(_share(net, before + quantity, line.quantity) - _share(net, before, line.quantity))
            if unknown
            else Decimal(0)
        ),
    )
    _run(COST_STATEMENT, {"change": change.pk}, prepare=True)
    return change


@transaction.atomic
def daily_totals_rebuild() -> tuple[int, int]:
    """Recompute every row from scratch: the orders' sale and return events and the vendors'
    cost changes. Returns how many (day, channel) and variant rows (all grains) there are. Locks both tables for its duration, so upkeep waits rather than interleaves."""
    tables = f"{DailyTotals._meta.db_table}, {VariantSales._meta.db_table}"
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        cursor.execute(f"TRUNCATE {tables}")
    _run(REBUILD_STATEMENT, {})
    return DailyTotals.objects.count(), VariantSales.objects.count()
