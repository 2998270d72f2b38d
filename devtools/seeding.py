"""Demo data at scale: a catalog, customer profiles and orders with lines and timelines.

`seed()` is what `manage.py seed`, `demo` and `bench` call. It is built for a million orders
in minutes on a small machine, so it never saves rows one by one:

- names, streets and cities come from Faker once, into pools that every row samples from;
- rows are rendered straight to COPY's text format (amounts are integer cents, formatted at the
  end, so every sum is exact) by a producer thread while the main thread streams the previous
  batch into Postgres, so Python and the database work at the same time;
- order ids and numbers are reserved from their sequences before the rows are written, so a
  later `Order.objects.create()` continues after them; lines and events take their ids from
  their identity columns;
- a big load into a small table drops the orders tables' secondary indexes and foreign keys
  first and rebuilds them at the end (once, in bulk, instead of row by row); what was dropped
  is written to `.data/seed/` first, so an interrupted run restores it on the next start.

Every batch commits on its own: an interrupted run leaves whole orders only.
"""

import bisect
import json
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q

from catalog.models import Product, ProductVendor, SerialCode, StockMovement, Variant, Vendor
from customers.models import CustomerSettings
from orders.actors import Actor
from orders.models import ORDER_NUMBER_SEQUENCE, Channel, OrderEvent, OrderLine, OrderStatus
from reports.totals import daily_totals_rebuild

S = OrderStatus
Kind = OrderEvent.Kind
Fulfilment = OrderLine.Fulfilment

# Dropping and rebuilding indexes pays off only when the load is big and the table is small.
BULK_LOAD_THRESHOLD = 100_000
ORDER_TABLES = ("orders_order", "orders_orderline", "orders_orderevent")
MONEY_TABLES = (
    "shipping_shipment",
    "shipping_shipmentline",
    "shipping_trackingnumber",
    "payments_payment",
    "invoicing_invoice",
    "invoicing_invoiceline",
    "invoicing_paymentrecord",
)
DAY = 86_400
HISTORY_DAYS = 730


@dataclass(frozen=True)
class SeedReport:
    orders: int
    lines: int
    events: int
    serial_codes: int
    profiles_created: int
    catalog_created: bool
    seconds: float

    @property
    def rows(self) -> int:
        return self.orders + self.lines + self.events + self.serial_codes

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"Seeded {self.orders:,} orders, {self.lines:,} lines, {self.events:,} events "
            f"in {self.seconds:,.1f} s ({self.rows_per_second:,.0f} rows/s, "
            f"{self.orders / self.seconds if self.seconds else 0:,.0f} orders/s)."
        )


def seed(
    *,
    orders: int,
    batch: int = 50_000,
    random_seed: int = 42,
    progress: bool = True,
    stdout=None,
    profiles: int | None = None,
) -> SeedReport:
    """Add `orders` demo orders, creating the catalog and customer profiles first if missing.

    Guarantees: every order's amounts add up to the cent (line total = unit price × quantity −
    discount, subtotal = Σ line totals, total = subtotal − discount + shipping + tax); its
    status, line fulfilment, stock flag and timeline follow a path the status machine allows;
    order ids and numbers come from their sequences, so rows created afterwards never collide.
    The same `random_seed` gives the same data (ids, numbers and dates aside).
    `profiles` defaults to one per two orders, at least 200 and at most 50,000.
    """
    if orders < 0:
        raise ValueError("orders must not be negative")
    batch = max(1, batch)
    started = time.monotonic()
    say = stdout.write if stdout is not None else (lambda _message: None)
    rng = random.Random(random_seed)
    target_profiles = profiles if profiles is not None else min(50_000, max(200, orders // 2))

    # Losing the last commits in a server crash is harmless here; waiting for each is not.
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    try:
        return _seed(
            orders=orders,
            batch=batch,
            rng=rng,
            progress=progress,
            say=say,
            target_profiles=target_profiles,
            started=started,
        )
    finally:
        with suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _seed(*, orders, batch, rng, progress, say, target_profiles, started) -> SeedReport:
    _pending_ddl_restore(say)
    pools = Pools.build(rng, size=min(4_000, max(300, orders // 25)))
    catalog_created = _catalog_ensure(rng)
    if catalog_created:
        say("Created the demo catalog.\n")
    profiles_created = _profiles_ensure(rng, pools, target_profiles)
    if profiles_created:
        say(f"Created {profiles_created:,} customer profiles.\n")
    factory = OrderFactory(
        rng=rng,
        catalog=_catalog_load(),
        customers=_customers_load(),
        guests=pools.guests(rng, min(5_000, max(200, orders // 10))),
        currency=settings.STORE_CURRENCY,
        now=int(time.time()) - 60,
    )
    counts = Counter()
    if orders:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM orders_order")
            existing, last_id = cursor.fetchone()
        bulk = orders >= BULK_LOAD_THRESHOLD and orders > existing
        say(f"Adding {orders:,} orders to {existing:,}, {batch:,} per batch…\n")
        with _indexes_deferred(enabled=bulk, say=say):
            counts = _orders_load(factory, orders=orders, batch=batch, progress=progress)
            # Rated before the indexes return, so that its updates maintain none of them.
            counts.update(_risk_rate(after_order_id=last_id, say=say))
        counts.update(_money_records_load(after_order_id=last_id, say=say))
        counts.update(_shipments_load(after_order_id=last_id, say=say))
        counts.update(_purchase_orders_load(after_order_id=last_id, say=say))
        # The orders went in by COPY, around the services that keep the reports' daily
        # totals: recompute them from the orders' status events (reports_rebuild).
        days, variant_days = daily_totals_rebuild()
        say(f"Rebuilt the reports' daily totals: {days:,} and {variant_days:,} rows.\n")
    # VACUUM too (outside a transaction only): a freshly loaded table's visibility map is
    # empty, so until autovacuum comes by, index-only scans would read the table anyway.
    refresh = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in (
            *ORDER_TABLES,
            *MONEY_TABLES,
            "customers_profile",
            "customers_address",
            "catalog_variant",
            "catalog_serialcode",
            # Without statistics the order page's POs query guessed 622 POs per order and
            # intersected the vendor's index with the order's: 15 ms instead of 0.1 ms.
            "purchasing_purchaseorder",
            "purchasing_purchaseorderline",
            "reports_dailytotals",
            "reports_variantsales",
        ):
            cursor.execute(f"{refresh} {table}")
    report = SeedReport(
        orders=counts["orders"],
        lines=counts["lines"],
        events=counts["events"],
        serial_codes=counts["codes"],
        profiles_created=profiles_created,
        catalog_created=catalog_created,
        seconds=time.monotonic() - started,
    )
    say(report.summary() + "\n")
    return report


# --- Fraud ratings -------------------------------------------------------------------------

# The facts orders.risk._FACTS_SQL reads for one arriving order, for every order at once:
# the buyer's earlier orders (not cancelled) and the last day's orders from the same email,
# IP address or card, by window functions over the whole table (one sort per key instead of a
# query per order; each frame includes the order itself, which is taken off again, as a frame
# that excludes it costs a scan of the frame per row). "Earlier" is as intake saw it: placed
# at or before the order. Only the orders the seed just added, of the rated channels, that
# cross one of orders.risk's thresholds come back (a different shipping address, the test
# gateway's AVS mismatch on an order that was charged, a high first order, an order far above
# the buyer's average, many orders within the day): the signals themselves are risk.rate's.
_RISK_FACTS_SQL = """
WITH facts AS (
    SELECT o.id, o.total,
           count(*) FILTER (WHERE o.status <> %(cancelled)s) OVER earlier
               - (o.status <> %(cancelled)s)::int AS history,
           coalesce(sum(o.total) FILTER (WHERE o.status <> %(cancelled)s) OVER earlier, 0)
               - CASE WHEN o.status <> %(cancelled)s THEN o.total ELSE 0 END AS history_sum,
           count(*) OVER email_day - 1 AS email_24h,
           CASE WHEN o.client_ip IS NULL THEN 0 ELSE count(*) OVER ip_day - 1 END AS ip_24h,
           CASE WHEN o.card_fingerprint = '' THEN 0 ELSE count(*) OVER card_day - 1 END
               AS card_24h
    FROM orders_order o
    WINDOW earlier AS (PARTITION BY upper(o.customer_email::text) ORDER BY o.placed_at
                       RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
           email_day AS (PARTITION BY upper(o.customer_email::text) ORDER BY o.placed_at
                         RANGE BETWEEN %(window)s PRECEDING AND CURRENT ROW),
           ip_day AS (PARTITION BY o.client_ip ORDER BY o.placed_at
                      RANGE BETWEEN %(window)s PRECEDING AND CURRENT ROW),
           card_day AS (PARTITION BY o.card_fingerprint ORDER BY o.placed_at
                        RANGE BETWEEN %(window)s PRECEDING AND CURRENT ROW)
)
SELECT f.id, f.total,
       CASE WHEN differ THEN o.billing_address::text END,
       CASE WHEN differ THEN o.shipping_address::text END,
       f.history, CASE WHEN f.history > 0 THEN f.history_sum / f.history END,
       f.email_24h, f.ip_24h, f.card_24h,
       CASE WHEN avs THEN 'mismatch' ELSE '' END
FROM facts f
JOIN orders_order o ON o.id = f.id
CROSS JOIN LATERAL (
    SELECT o.billing_address <> o.shipping_address
               AND o.shipping_address <> '{}'::jsonb AS differ,
           o.payment_token = %(avs_token)s AND o.first_paid_at IS NOT NULL AS avs
) x
WHERE o.id > %(after)s AND o.channel = ANY(%(channels)s)
  AND (differ OR avs
       OR f.history = 0 AND f.total >= %(first_order_high)s
       OR f.total * f.history > %(value_ratio)s * f.history_sum
       OR f.email_24h >= %(email_24h)s OR f.ip_24h >= %(ip_24h)s OR f.card_24h >= %(card_24h)s)
"""


def _risk_rate(*, after_order_id: int, say) -> Counter:
    """Rate the orders the seed just added as intake rates an arriving order (and a charge
    re-rates it with the gateway's AVS result): the facts set-based in SQL, the rules
    orders.risk.rate's own, so every signal is one the order's data bears out. One
    transaction; orders that raise no signal stay as written (low, no signals)."""
    from orders import risk

    started = time.monotonic()
    ids, levels, signals = [], [], []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(
            _RISK_FACTS_SQL,
            {
                "after": after_order_id,
                "channels": list(RATED_CHANNELS),
                "cancelled": S.CANCELLED.value,
                "avs_token": "tok_avs_mismatch",
                "window": risk.WINDOW,
                "first_order_high": risk.FIRST_ORDER_HIGH_VALUE,
                "value_ratio": risk.VALUE_RATIO,
                # The lowest band of each velocity signal.
                **{key: min(n for n, _ in bands) for key, _, bands in risk.VELOCITY},
            },
        )
        for oid, total, billing, shipping, history, average, email, ip, card, avs in cursor:
            facts = {
                "history": history,
                "average": average,
                "email_24h": email,
                "ip_24h": ip,
                "card_24h": card,
            }
            level, found = risk.rate(
                # Only addresses that differ come back (as text: json.loads is quicker)
                billing=json.loads(billing) if billing else None,
                shipping=json.loads(shipping) if shipping else None,
                total=total,
                facts=facts,
                avs=avs,
            )
            if found:
                ids.append(oid)
                levels.append(level)
                signals.append(json.dumps(found, ensure_ascii=False))
        cursor.execute(
            "UPDATE orders_order o SET risk_level = r.level, risk_signals = r.signals::jsonb "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS r(id, level, signals) "
            "WHERE o.id = r.id",
            [ids, levels, signals],
        )
    rated = Counter(levels)
    say(
        f"Rated orders for fraud in {time.monotonic() - started:.1f} s: "
        f"{rated['medium']:,} medium, {rated['high']:,} high risk.\n"
    )
    return Counter(risk_signalled=len(ids))


# --- Payments and invoices of the paid orders ----------------------------------------------

# Invoices issued before this many days ago are posted (the books are closed on them).
POSTED_AFTER_DAYS = 30

_INVOICES_SQL = """
INSERT INTO invoicing_invoice (
    kind, status, order_id, profile_id, order_paid_at, customer_name, customer_email,
    billing_address, currency, subtotal, discount, shipping, tax, total, issued_at, posted_at
)
SELECT 'invoice', 'draft', o.id,
       CASE WHEN o.profile_id IS NOT NULL
                 AND (coalesce(p.member_ref, '') <> '' OR o.channel = 'back_office')
            THEN o.profile_id ELSE %(anonymous)s END,
       o.paid_at, o.customer_name, o.customer_email, o.billing_address, o.currency,
       o.subtotal, o.discount_total, o.shipping_total, o.tax_total, o.total, o.paid_at, NULL
FROM orders_order o
LEFT JOIN customers_profile p ON p.id = o.profile_id
WHERE o.id > %(after)s AND o.paid_at IS NOT NULL
ORDER BY o.paid_at, o.id
"""
_INVOICE_LINES_SQL = """
INSERT INTO invoicing_invoiceline (
    invoice_id, order_line_id, sku, description, quantity, unit_price, discount, tax, total
)
SELECT i.id, l.id, l.sku,
       CASE WHEN l.options <> '' THEN l.name || ' (' || l.options || ')' ELSE l.name END,
       l.quantity, l.unit_price, l.discount, l.tax, l.total
FROM invoicing_invoice i
JOIN orders_orderline l ON l.order_id = i.order_id
WHERE i.id > %(after_invoice)s
ORDER BY i.id, l.id
"""
_PAYMENT_RECORDS_SQL = """
INSERT INTO invoicing_paymentrecord (invoice_id, profile_id, amount, currency, reference,
                                     received_at)
SELECT i.id, i.profile_id, i.total, i.currency, o.authorization_code, o.paid_at
FROM invoicing_invoice i
JOIN orders_order o ON o.id = i.order_id
WHERE i.id > %(after_invoice)s AND i.total > 0
"""
# Posted last, as staff post drafts: a posted invoice's lines cannot change (the trigger).
_POST_SQL = """
UPDATE invoicing_invoice SET status = 'posted', posted_at = issued_at + interval '1 day'
WHERE id > %(after_invoice)s AND issued_at < %(posted_before)s
"""
_PAYMENTS_SQL = """
INSERT INTO payments_payment (
    order_id, method, status, amount, currency, authorization_code, reference, transaction_id,
    refund_reference, actor_label, created_at, updated_at
)
SELECT o.id, 'storefront', 'captured', o.total, o.currency, o.authorization_code, '', '', '',
       CASE o.channel WHEN 'in_store' THEN 'Register' ELSE 'Storefront' END,
       o.paid_at, o.paid_at
FROM orders_order o
WHERE o.id > %(after)s AND o.paid_at IS NOT NULL AND o.total > 0
"""


def _money_records_load(*, after_order_id: int, say) -> Counter:
    """The payment, the invoice (with all the order's lines) and its payment record of every
    order the seed just added that stands paid, as `payments` and `invoicing` make them when
    an order is paid: on the buyer's profile for members and back-office orders, else on the
    anonymous profile; posted once older than POSTED_AFTER_DAYS. Set-based SQL, in one
    transaction. (Orders paid and rolled back get no voided invoice: the seed keeps no such
    history.)"""
    from invoicing.services import anonymous_profile

    started = time.monotonic()
    anonymous = anonymous_profile().pk
    posted_before = datetime.fromtimestamp(time.time() - POSTED_AFTER_DAYS * DAY, tz=UTC)
    counts = Counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM invoicing_invoice")
        after_invoice = cursor.fetchone()[0]
        params = {
            "after": after_order_id,
            "after_invoice": after_invoice,
            "anonymous": anonymous,
            "posted_before": posted_before,
        }
        for name, sql in (
            ("payments", _PAYMENTS_SQL),
            ("invoices", _INVOICES_SQL),
            ("invoice_lines", _INVOICE_LINES_SQL),
            ("payment_records", _PAYMENT_RECORDS_SQL),
            ("posted", _POST_SQL),
        ):
            cursor.execute(sql, params)
            counts[name] = cursor.rowcount
    say(
        f"Recorded {counts['payments']:,} payments and {counts['invoices']:,} invoices "
        f"({counts['invoice_lines']:,} lines) in {time.monotonic() - started:.1f} s.\n"
    )
    return counts


# --- Shipments of the shipped orders --------------------------------------------------------

# One parcel per sent order that left by carrier (in-store orders are handed over), on the day
# its timeline says it shipped, with every line's sent quantity. Tracking numbers pass their
# carrier's check: UPS (two orders in three) "1Z" + shipper 999AA1 + service 03 + a 7-digit
# package id + the mod-10 digit of shipping.carriers._check_ups (the fixed characters weigh
# 50); DHL Express 9 digits + their value mod 7.
_SHIPMENTS_SQL = """
INSERT INTO shipping_shipment (order_id, carrier_id, shipped_on, created_at)
SELECT o.id,
       CASE WHEN o.id %% 3 = 2 THEN %(dhl)s ELSE %(ups)s END,
       (coalesce(shipped.at, o.paid_at, o.placed_at) AT TIME ZONE %(tz)s)::date,
       coalesce(shipped.at, o.paid_at, o.placed_at)
FROM orders_order o
CROSS JOIN LATERAL (
    SELECT min(e.created_at) AS at FROM orders_orderevent e
    WHERE e.order_id = o.id AND e.to_status = 'shipped'
) shipped
WHERE o.id > %(after)s AND o.channel <> 'in_store'
  AND o.status IN ('shipped', 'delivered', 'complete')
  AND EXISTS (SELECT 1 FROM orders_orderline l
              WHERE l.order_id = o.id AND l.is_shippable AND l.quantity_fulfilled > 0)
ORDER BY o.id
"""
_SHIPMENT_LINES_SQL = """
INSERT INTO shipping_shipmentline (shipment_id, order_line_id, quantity)
SELECT s.id, l.id, l.quantity_fulfilled
FROM shipping_shipment s
JOIN orders_orderline l ON l.order_id = s.order_id
WHERE s.id > %(after_shipment)s AND l.is_shippable AND l.quantity_fulfilled > 0
"""
_TRACKING_NUMBERS_SQL = """
INSERT INTO shipping_trackingnumber (shipment_id, number, override_reason, created_at,
                                     updated_at)
SELECT s.id,
       CASE WHEN s.carrier_id = %(dhl)s
            THEN lpad(((s.order_id * 7919) %% 1000000000)::text, 9, '0')
                 || (((s.order_id * 7919) %% 1000000000) %% 7)::text
            ELSE '1Z999AA103' || p.digits || ((10 - (50
                 + substr(p.digits, 1, 1)::int + 2 * substr(p.digits, 2, 1)::int
                 + substr(p.digits, 3, 1)::int + 2 * substr(p.digits, 4, 1)::int
                 + substr(p.digits, 5, 1)::int + 2 * substr(p.digits, 6, 1)::int
                 + substr(p.digits, 7, 1)::int) %% 10) %% 10)::text
       END,
       '', s.created_at, s.created_at
FROM shipping_shipment s
CROSS JOIN LATERAL (SELECT lpad((s.order_id %% 10000000)::text, 7, '0') AS digits) p
WHERE s.id > %(after_shipment)s
"""


def _shipments_load(*, after_order_id: int, say) -> Counter:
    """The parcels of the sent orders the seed just added, so that their shipping panel,
    emails and tracking page show a courier and a tracking number like a recorded shipment."""
    from shipping.models import Carrier
    from shipping.services import known_carriers_ensure

    known_carriers_ensure()
    carriers = dict(Carrier.objects.filter(code__in=["ups", "dhl"]).values_list("code", "id"))
    started = time.monotonic()
    counts = Counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM shipping_shipment")
        params = {
            "after": after_order_id,
            "after_shipment": cursor.fetchone()[0],
            "ups": carriers["ups"],
            "dhl": carriers["dhl"],
            "tz": settings.TIME_ZONE,
        }
        for name, sql in (
            ("shipments", _SHIPMENTS_SQL),
            ("shipment_lines", _SHIPMENT_LINES_SQL),
            ("tracking_numbers", _TRACKING_NUMBERS_SQL),
        ):
            cursor.execute(sql, params)
            counts[name] = cursor.rowcount
    say(f"Recorded {counts['shipments']:,} shipments in {time.monotonic() - started:.1f} s.\n")
    return counts


# --- Drop-shipping -------------------------------------------------------------------------

# The demo's EDI vendor: its 850s go to PURCHASING_EDI_ROOT/atlas/inbound (a local folder, as
# an AS2/VAN client on the host would pick them up).
EDI_VENDOR = "Atlas Wholesale"


def _vendors_connect() -> None:
    """Every demo vendor takes POs by email at its address, but Atlas, which takes X12 850s in
    a local folder; vendors an admin has set up already are left alone."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE catalog_vendor SET po_method = 'email', po_emails = ARRAY[email] "
            "WHERE po_method = '' AND email <> '' AND name <> %s",
            [EDI_VENDOR],
        )
    Vendor.objects.filter(po_method="", name=EDI_VENDOR).update(
        po_method=Vendor.PoMethod.EDI,
        edi_sender_qualifier="ZZ",
        edi_sender_id="BACKOFFICEDEMO",
        edi_receiver_qualifier="01",
        edi_receiver_id="084512345",
        edi_transport=Vendor.Transport.LOCAL,
        edi_inbound_dir="atlas/inbound",
        edi_outbound_dir="atlas/outbound",
    )


# Drop-shipped orders: one in twenty of those the seed added that were ever paid, and the three
# newest of each status, so a small demo shows POs in every state. Each gets a PO per default
# vendor of its shipping lines (one PO line per order line); a PO's dates, and what its vendor
# shipped, follow the order: drafts on paid orders, sent on in-process ones, shipped as the
# order's lines were sent, cancelled with a cancelled order.
_PURCHASE_ORDERS_SQL = """
WITH chosen AS (
    SELECT id, status, placed_at, updated_at FROM (
        SELECT o.id, o.status, o.placed_at, o.updated_at,
               row_number() OVER (PARTITION BY o.status ORDER BY o.id DESC) AS newest
        FROM orders_order o
        WHERE o.id > %(after)s AND o.first_paid_at IS NOT NULL
    ) o
    WHERE o.id %% 20 = 0 OR o.newest <= 3
)
INSERT INTO purchasing_purchaseorder
    (number, order_id, vendor_id, status, created_at, sent_at, transmitted_at, cancelled_at)
SELECT nextval(%(sequence)s), c.id, pv.vendor_id,
       CASE WHEN c.status = 'cancelled' THEN 'cancelled' ELSE 'draft' END,
       c.placed_at + interval '1 hour',
       CASE WHEN c.status <> 'paid' THEN c.placed_at + interval '1 hour' END,
       CASE WHEN c.status <> 'paid' THEN c.placed_at + interval '61 minutes' END,
       CASE WHEN c.status = 'cancelled' THEN c.updated_at END
FROM chosen c
JOIN orders_orderline l ON l.order_id = c.id AND l.is_shippable
JOIN catalog_productvendor pv ON pv.product_id = l.product_id AND pv.is_default
GROUP BY c.id, c.status, c.placed_at, c.updated_at, pv.vendor_id
ORDER BY c.id, pv.vendor_id
"""
_PURCHASE_ORDER_LINES_SQL = """
INSERT INTO purchasing_purchaseorderline
    (purchase_order_id, order_line_id, quantity, quantity_shipped, vendor_sku, unit_cost, is_open)
SELECT po.id, l.id, l.quantity, least(l.quantity_fulfilled, l.quantity), pv.vendor_sku, pv.cost,
       po.cancelled_at IS NULL
FROM purchasing_purchaseorder po
JOIN orders_orderline l ON l.order_id = po.order_id AND l.is_shippable
JOIN catalog_productvendor pv
  ON pv.product_id = l.product_id AND pv.vendor_id = po.vendor_id AND pv.is_default
WHERE po.id > %(after_po)s
"""
# The status from the lines' quantities, as purchasing.services derives it.
_PURCHASE_ORDER_STATUS_SQL = """
UPDATE purchasing_purchaseorder po
SET status = CASE
        WHEN po.cancelled_at IS NOT NULL THEN 'cancelled'
        WHEN po.sent_at IS NULL THEN 'draft'
        WHEN s.shipped = 0 THEN 'sent'
        WHEN s.shipped = s.ordered THEN 'shipped'
        ELSE 'partly_shipped' END
FROM (SELECT purchase_order_id, sum(quantity) AS ordered, sum(quantity_shipped) AS shipped
      FROM purchasing_purchaseorderline WHERE purchase_order_id > %(after_po)s
      GROUP BY purchase_order_id) s
WHERE s.purchase_order_id = po.id
"""
# The EDI vendor's sent POs take its next control numbers, in PO order.
_PURCHASE_ORDER_CONTROL_SQL = """
WITH numbered AS (
    SELECT po.id, po.vendor_id,
           v.edi_control_number + row_number() OVER (PARTITION BY po.vendor_id ORDER BY po.id) AS n
    FROM purchasing_purchaseorder po JOIN catalog_vendor v ON v.id = po.vendor_id
    WHERE po.id > %(after_po)s AND v.po_method = 'edi' AND po.sent_at IS NOT NULL
), numbered_pos AS (
    UPDATE purchasing_purchaseorder po SET edi_control_number = n.n
    FROM numbered n WHERE n.id = po.id
    RETURNING po.vendor_id, po.edi_control_number
)
UPDATE catalog_vendor v SET edi_control_number = m.top
FROM (SELECT vendor_id, max(edi_control_number) AS top FROM numbered_pos GROUP BY vendor_id) m
WHERE m.vendor_id = v.id
"""

# Each seeded PO's timeline, as the services and the worker write it for a real one: created,
# queued and delivered (email, or the 850 in the EDI vendor's inbound folder), cancelled.
_PURCHASE_ORDER_EVENTS_SQL = """
WITH po AS (
    SELECT po.id, po.order_id, po.number, po.created_at, po.sent_at, po.transmitted_at,
           po.cancelled_at, po.edi_control_number, v.name AS vendor, v.po_method,
           coalesce(v.po_emails[1], v.edi_inbound_dir || '/PO' || po.number || '_'
                    || lpad(po.edi_control_number::text, 9, '0') || '.850') AS destination,
           (SELECT string_agg(pl.quantity || ' × ' || l.sku, ', ' ORDER BY pl.id)
            FROM purchasing_purchaseorderline pl
            JOIN orders_orderline l ON l.id = pl.order_line_id
            WHERE pl.purchase_order_id = po.id) AS items
    FROM purchasing_purchaseorder po JOIN catalog_vendor v ON v.id = po.vendor_id
    WHERE po.id > %(after_po)s
)
INSERT INTO orders_orderevent (order_id, kind, from_status, to_status, message, actor_label,
                               created_at)
SELECT order_id, kind, '', '', message, %(actor)s, at FROM (
    SELECT order_id, 'purchasing' AS kind,
           'PO-' || number || ' created for ' || vendor || ': ' || items || '.' AS message,
           created_at AS at
    FROM po
    UNION ALL
    SELECT order_id, 'email', 'Purchase order PO-' || number || ' queued to '
           || CASE WHEN po_method = 'email' THEN destination
                   ELSE 'the vendor''s EDI inbound folder' END || '.', sent_at
    FROM po WHERE sent_at IS NOT NULL
    UNION ALL
    SELECT order_id, 'email', 'Purchase order PO-' || number
           || CASE WHEN po_method = 'email' THEN ' sent to ' ELSE ' written to ' END
           || destination || '.', transmitted_at
    FROM po WHERE transmitted_at IS NOT NULL
    UNION ALL
    SELECT order_id, 'purchasing',
           'PO-' || number || ' to ' || vendor || ' cancelled; its items may go on another PO.',
           cancelled_at
    FROM po WHERE cancelled_at IS NOT NULL
) events
"""


# Vendors' shipments of the POs' lines replace the lines' cost from the day they shipped (the
# order's first shipment): the record reports.totals.daily_totals_add_cost_change keeps when a
# vendor's shipment is entered, which the rebuild at the end of the seed adds in.
_VENDOR_COSTS_SQL = """
INSERT INTO reports_costchange
    (po_line_id, order_line_id, quantity, happened_at, day, channel, variant_id, product_id,
     cost_delta, unknown_cost_units_delta, unknown_cost_sales_delta)
SELECT pl.id, l.id, pl.quantity_shipped, s.at, (s.at AT TIME ZONE %(tz)s)::date, o.channel,
       l.variant_id, l.product_id, pl.quantity_shipped * (pl.unit_cost - l.unit_cost),
       CASE WHEN l.unit_cost = 0 THEN -pl.quantity_shipped ELSE 0 END,
       CASE WHEN l.unit_cost = 0
            THEN -round((l.unit_price * l.quantity - l.discount) * pl.quantity_shipped
                        / l.quantity, 2)
            ELSE 0 END
FROM purchasing_purchaseorderline pl
JOIN orders_orderline l ON l.id = pl.order_line_id
JOIN orders_order o ON o.id = l.order_id
CROSS JOIN LATERAL (SELECT min(sh.created_at) AS at FROM shipping_shipment sh
                    WHERE sh.order_id = o.id) s
WHERE pl.purchase_order_id > %(after_po)s AND pl.quantity_shipped > 0 AND s.at IS NOT NULL
"""


def _purchase_orders_load(*, after_order_id: int, say) -> Counter:
    """Drop-ship POs for some of the orders the seed just added, in every status."""
    from purchasing.models import PO_NUMBER_SEQUENCE

    _vendors_connect()
    started = time.monotonic()
    counts = Counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM purchasing_purchaseorder")
        params = {"after": after_order_id, "after_po": cursor.fetchone()[0]}
        cursor.execute(_PURCHASE_ORDERS_SQL, {**params, "sequence": PO_NUMBER_SEQUENCE})
        counts["purchase_orders"] = cursor.rowcount
        cursor.execute(_PURCHASE_ORDER_LINES_SQL, params)
        counts["purchase_order_lines"] = cursor.rowcount
        cursor.execute(_PURCHASE_ORDER_STATUS_SQL, params)
        cursor.execute(_PURCHASE_ORDER_CONTROL_SQL, params)
        cursor.execute(_PURCHASE_ORDER_EVENTS_SQL, {**params, "actor": "Demo data"})
        counts["events"] = cursor.rowcount
        cursor.execute(_VENDOR_COSTS_SQL, {**params, "tz": settings.TIME_ZONE})
        counts["vendor_costs"] = cursor.rowcount
    # After the vendors' costs of the set-based load: this shipment records its own.
    counts["events"] += _purchase_order_partly_ship(after_po=params["after_po"])
    say(
        f"Created {counts['purchase_orders']:,} drop-ship purchase orders in "
        f"{time.monotonic() - started:.1f} s.\n"
    )
    return counts


def _purchase_order_partly_ship(*, after_po: int) -> int:
    """Record a vendor's shipment of part of one PO through the services (sent first if it is
    a draft; then the shipment, the shipped email, the timeline and the PO's status), so the
    demo always shows a partly shipped PO rather than only when the generated quantities
    happen to make one. Returns the timeline entries it wrote (none when no PO of the seed
    has two units to split)."""
    from purchasing.models import PurchaseOrder, PurchaseOrderLine
    from purchasing.services import po_lines_ship, po_send

    candidates = (
        PurchaseOrderLine.objects.filter(
            purchase_order__status__in=[PurchaseOrder.Status.SENT, PurchaseOrder.Status.DRAFT],
            purchase_order__id__gt=after_po,
            purchase_order__order__status__in=[OrderStatus.IN_PROCESS, OrderStatus.PAID],
        )
        .order_by("-purchase_order__status", "-purchase_order_id", "id")  # sent ones first
        .values_list(
            "purchase_order_id",
            "purchase_order__status",
            "purchase_order__order_id",
            "id",
            "quantity",
        )
    )
    by_po: dict[tuple[int, str, int], list[tuple[int, int]]] = {}
    for po_id, status, order_id, line_id, quantity in candidates[:500]:
        by_po.setdefault((po_id, status, order_id), []).append((line_id, quantity))
    actor = Actor.system("Demo data")
    for (po_id, status, order_id), lines in by_po.items():
        if sum(quantity for _, quantity in lines) < 2:
            continue
        before = OrderEvent.objects.filter(order_id=order_id).count()
        if status == PurchaseOrder.Status.DRAFT:
            po_send(purchase_order_id=po_id, actor=actor)
        line_id, quantity = lines[0]
        po_lines_ship(
            purchase_order_id=po_id,
            lines={line_id: 1 if quantity > 1 else quantity},
            carrier_name="Vendor Freight",
            tracking_numbers=[f"VF{po_id:010d}"],
            actor=actor,
        )
        return OrderEvent.objects.filter(order_id=order_id).count() - before
    return 0


# --- COPY text format ----------------------------------------------------------------------


# The shipping speeds the demo store offers: (name, speed, fewest and most days, price, free
# from a subtotal of).
DEMO_SHIPPING_METHODS = [
    ("Standard", "3–5 business days", 3, 5, "5.99", "75.00"),
    ("2-day", "2-day", 2, 2, "12.99", None),
    ("Overnight", "Overnight", 1, 1, "24.99", None),
]


def shipping_methods_ensure() -> int:
    """The demo store's shipping speeds, when the store has none yet (a store's own methods
    are never touched). Returns how many were created."""
    from shipping.models import ShippingMethod

    if ShippingMethod.objects.exists():
        return 0
    made = ShippingMethod.objects.bulk_create(
        ShippingMethod(
            name=name,
            speed=speed,
            days_min=fewest,
            days_max=most,
            price=Decimal(price),
            free_from_subtotal=Decimal(free_from) if free_from else None,
            position=position,
        )
        for position, (name, speed, fewest, most, price, free_from) in enumerate(
            DEMO_SHIPPING_METHODS
        )
    )
    return len(made)


# ---- Promotions and tax rates for the demo (issue 13) ---------------------------------------

DEMO_TAX_RATES = [
    ("US", "", "5.000", "Sales tax"),
    ("US", "CA", "7.250", "California sales tax"),
    ("US", "NY", "8.875", "New York sales tax"),
    ("US", "TX", "6.250", "Texas sales tax"),
    ("CA", "", "5.000", "GST"),
    ("GB", "", "20.000", "VAT"),
    ("DE", "", "19.000", "MwSt"),
]


def _demo_promotions() -> list:
    from promotions.models import Promotion

    kind, pct, fixed = Promotion.Kind, Promotion.DiscountType.PERCENT, Promotion.DiscountType.FIXED
    now = datetime.now(UTC)
    return [
        Promotion(
            kind=kind.ORDER_CODE,
            name="Save 10%",
            code="SAVE10",
            discount_type=pct,
            amount=Decimal("10"),
            minimum_subtotal=Decimal("50"),
        ),
        Promotion(
            kind=kind.ORDER_CODE,
            name="Five off",
            code="FIVEOFF",
            discount_type=fixed,
            amount=Decimal("5"),
            usage_limit=100,
            per_customer_limit=1,
        ),
        Promotion(
            kind=kind.FREE_SHIPPING,
            name="Free shipping",
            code="FREESHIP",
            minimum_subtotal=Decimal("40"),
        ),
        Promotion(
            kind=kind.ITEM_CODE,
            name="20% off selected items",
            code="ITEM20",
            discount_type=pct,
            amount=Decimal("20"),
        ),
        Promotion(kind=kind.PRODUCT, name="Gift set", code="GIFTSET", usage_limit=500),
        Promotion(
            kind=kind.ORDER_CODE,
            name="Spring sale (ended)",
            code="SPRING",
            discount_type=pct,
            amount=Decimal("15"),
            starts_at=now - timedelta(days=90),
            ends_at=now - timedelta(days=30),
        ),
    ]


def promotions_ensure() -> int:
    """The demo's promotions of every kind and its tax rates, when the store has none yet (a
    store's own are never touched). Returns how many promotions were created."""
    from catalog.models import Variant
    from promotions.models import Promotion, PromotionItem, TaxRate

    if not TaxRate.objects.exists():
        TaxRate.objects.bulk_create(
            TaxRate(country=c, region=r, rate=Decimal(rate), name=n)
            for c, r, rate, n in DEMO_TAX_RATES
        )
    if Promotion.objects.exists():
        return 0
    variants = list(
        Variant.objects.filter(product__is_active=True, product__is_shippable=True)
        .select_related("product")
        .order_by("id")[:4]
    )
    made = Promotion.objects.bulk_create(_demo_promotions())
    by_code = {p.code: p for p in made}
    if variants:
        by_code["ITEM20"].products.set([v.product_id for v in variants[:2]])
        PromotionItem.objects.bulk_create(
            PromotionItem(
                promotion=by_code["GIFTSET"],
                variant=variant,
                quantity=1,
                unit_discount=(variant.price / 2).quantize(Decimal("0.01")),
            )
            for variant in variants[2:4]
        )
    return len(made)


def esc(value: str) -> str:
    """A value in COPY's text format: backslash, tab and line breaks escaped."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _cents_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


_MONEY_CACHE = [_cents_text(c) for c in range(100_000)]


def cents_text(cents: int) -> str:
    """Integer cents as a decimal amount; amounts under $1,000 (most) come from a table."""
    return _MONEY_CACHE[cents] if 0 <= cents < 100_000 else _cents_text(cents)


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


class Timestamps:
    """Epoch seconds to timestamptz text: the date per day and the time of day from tables
    (this runs for every order and event, so it is hot)."""

    _clock = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(DAY)]

    def __init__(self):
        self._days: dict[int, str] = {}

    def __call__(self, t: int) -> str:
        day, seconds = divmod(t, DAY)
        date = self._days.get(day)
        if date is None:
            date = datetime.fromtimestamp(day * DAY, UTC).strftime("%Y-%m-%d ")
            self._days[day] = date
        return date + self._clock[seconds]


def _copy(table: str, columns: tuple[str, ...], text: str) -> None:
    if not text:
        return
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(text)


def _reserve(sequence: str, count: int) -> list[int]:
    """`count` values of a sequence, reserved at once, in ascending order.

    nextval() is atomic per value, so rows another process inserts meanwhile never collide.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
        )
        return sorted(row[0] for row in cursor.fetchall())


def _identity(table: str) -> str:
    """The sequence behind a table's id column."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        return cursor.fetchone()[0]


# --- Pools of names and places ------------------------------------------------------------

EMAIL_DOMAINS = ["example.com", "example.net", "example.org", "mail.example.com"]
# Sales tax in basis points by state; the rest pay DEFAULT_TAX_BP.
STATE_TAX_BP = {"CA": 725, "NY": 400, "TX": 625, "WA": 650, "FL": 600, "IL": 625, "OR": 0}
DEFAULT_TAX_BP = 550


@dataclass
class Place:
    line1: str
    city: str
    region: str
    postal_code: str

    @property
    def tax_bp(self) -> int:
        return STATE_TAX_BP.get(self.region, DEFAULT_TAX_BP)


@dataclass(frozen=True)
class Person:
    """Who an order is for, pre-rendered for COPY."""

    profile_id: str  # "\\N" for a guest
    name: str
    email: str
    phone: str
    shipping: str  # JSON
    billing: str  # JSON
    tax_bp: int


def _snapshot(name: str, place: Place, phone: str, line2: str = "") -> dict:
    return {
        "name": name,
        "line1": place.line1,
        "line2": line2,
        "city": place.city,
        "region": place.region,
        "postal_code": place.postal_code,
        "country": "US",
        "phone": phone,
    }


def _json(value: dict) -> str:
    return esc(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


class Pools:
    """A few thousand Faker names and places, made once and sampled for every row."""

    def __init__(self, first, last, places, companies):
        self.first_names = first
        self.last_names = last
        self.places = places
        self.companies = companies

    @classmethod
    def build(cls, rng: random.Random, size: int = 4_000) -> "Pools":
        """Pools of about `size` streets, half as many last names and fewer of the rest."""
        from faker import Faker

        fake = Faker("en_US")
        fake.seed_instance(rng.getrandbits(32))
        first = sorted({fake.first_name() for _ in range(size * 3 // 8)})
        last = sorted({fake.last_name() for _ in range(size // 2)})
        towns = []
        for _ in range(max(50, size // 7)):
            state = fake.state_abbr(include_territories=False)
            towns.append((fake.city(), state, fake.zipcode_in_state(state)))
        places = [Place(fake.street_address(), *rng.choice(towns)) for _ in range(size)]
        companies = sorted({fake.company() for _ in range(max(20, size // 10))})
        return cls(first, last, places, companies)

    def phone(self, rng: random.Random) -> str:
        return f"+1 {rng.randint(201, 989)}-555-{rng.randint(0, 9999):04d}"

    def email(self, rng: random.Random, first: str, last: str, n: int) -> str:
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        return f"{local}{n}@{rng.choice(EMAIL_DOMAINS)}"

    def line2(self, rng: random.Random) -> str:
        return f"Apt {rng.randint(1, 40)}" if rng.random() < 0.2 else ""

    def guests(self, rng: random.Random, count: int) -> list[Person]:
        """Buyers who were not logged in: on the order, never a profile."""
        guests = []
        for n in range(count):
            first, last = rng.choice(self.first_names), rng.choice(self.last_names)
            name, phone = f"{first} {last}", self.phone(rng)
            ship = rng.choice(self.places)
            bill = ship if rng.random() < 0.85 else rng.choice(self.places)
            guests.append(
                Person(
                    profile_id="\\N",
                    name=esc(name),
                    email=esc(self.email(rng, first, last, 900_000 + n)),
                    phone=esc(phone),
                    shipping=_json(_snapshot(name, ship, phone, self.line2(rng))),
                    billing=_json(_snapshot(name, bill, phone)),
                    tax_bp=bill.tax_bp,
                )
            )
        return guests


# --- Catalog ------------------------------------------------------------------------------

VENDORS = [
    ("Northwind Supply Co.", "orders@northwind.example.com"),
    ("Blue Harbor Trading", "po@blueharbor.example.com"),
    ("Cedar & Pine Goods", "purchasing@cedarpine.example.com"),
    ("Atlas Wholesale", "edi@atlas.example.com"),
    ("Meridian Textiles", "orders@meridian.example.com"),
    ("Copperleaf Home", "po@copperleaf.example.com"),
    ("Summit Outdoor Supply", "orders@summit.example.com"),
    ("Paper Lantern Stationers", "po@paperlantern.example.com"),
    ("Kettle & Co.", "orders@kettle.example.com"),
    ("Greenway Distributors", "po@greenway.example.com"),
    ("Brightline Imports", "orders@brightline.example.com"),
    ("Old Mill Ceramics", "po@oldmill.example.com"),
]
ADJECTIVES = [
    "Alpine", "Harbor", "Meadow", "Ember", "Coastal", "Juniper", "Summit", "Willow", "Granite",
    "Saffron", "Cobalt", "Fern", "Aspen", "Linen", "Canyon", "Birch", "Drift", "Heather",
    "Indigo", "Maple", "Oak", "Prairie", "Quarry", "River", "Sierra", "Tidal", "Umber", "Vale",
]  # fmt: skip
COLOURS = ["Black", "White", "Navy", "Olive", "Rust", "Sand", "Grey", "Forest"]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]


@dataclass(frozen=True)
class Category:
    name: str
    code: str
    nouns: tuple[str, ...]
    products: int
    dollars: tuple[int, int]
    options: Callable[[random.Random], list[dict]]
    shippable: bool = True
    serial: bool = False


def _sizes_colours(rng):
    start = rng.randint(0, 2)
    sizes = SIZES[start : start + rng.randint(3, 4)]
    colours = rng.sample(COLOURS, rng.choice([1, 1, 2]))
    return [{"size": s, "colour": c} for c in colours for s in sizes]


def _colours(rng):
    return [{"colour": c} for c in rng.sample(COLOURS, rng.randint(1, 4))]


def _single(rng):
    return [{}]


CATEGORIES = [
    Category("Apparel", "APP", ("T-shirt", "Hoodie", "Crewneck", "Polo", "Rain jacket", "Fleece"), 32, (18, 140), _sizes_colours),
    Category("Home", "HOM", ("Mug", "Candle", "Throw blanket", "Cushion", "Tea towel", "Planter"), 24, (9, 90), _colours),
    Category("Kitchen", "KIT", ("Chef's knife", "Cutting board", "Teapot", "Apron", "Spice set"), 18, (12, 160), _colours),
    Category("Stationery", "STA", ("Notebook", "Planner", "Pen set", "Sketchbook", "Postcard set"), 16, (6, 45),
             lambda rng: [{"format": f} for f in rng.sample(["A6", "A5", "A4"], rng.randint(1, 3))]),
    Category("Outdoor", "OUT", ("Water bottle", "Backpack", "Tote bag", "Lantern", "Picnic blanket"), 24, (15, 220), _colours),
    Category("Accessories", "ACC", ("Wallet", "Cap", "Scarf", "Sunglasses", "Watch strap"), 12, (12, 95), _colours),
    Category("E-books", "EBK", ("Field guide", "Recipe collection", "Pattern pack", "Travel guide"), 10, (5, 30),
             lambda rng: [{"format": "PDF"}, {"format": "EPUB"}], shippable=False),
    Category("Software", "LIC", ("Photo presets licence", "Font licence", "Design app licence"), 6, (19, 240),
             lambda rng: [{"edition": "Personal"}, {"edition": "Commercial"}], shippable=False, serial=True),
    Category("Gift cards", "GFT", ("Gift card", "Birthday gift card", "Holiday gift card"), 3, (25, 25),
             lambda rng: [{"amount": str(a)} for a in (25, 50, 100, 200)], shippable=False, serial=True),
    Category("Courses", "CRS", ("Online workshop", "Video course"), 5, (29, 190), _single, shippable=False),
]  # fmt: skip


def _catalog_ensure(rng: random.Random) -> bool:
    """Create the demo catalog unless the store already has one. Returns whether it did."""
    if Variant.objects.exists():
        return False
    with transaction.atomic():
        vendors = Vendor.objects.bulk_create(
            [Vendor(name=name, email=email, phone="") for name, email in VENDORS]
        )
        _vendors_connect()
        products, variant_specs = [], []
        for category in CATEGORIES:
            names = set()
            while len(names) < category.products:
                if category.code == "GFT":
                    names.add(category.nouns[len(names)])
                else:
                    names.add(f"{rng.choice(ADJECTIVES)} {rng.choice(category.nouns)}")
            for name in sorted(names):
                products.append(
                    Product(
                        name=name,
                        description=f"{name} from our {category.name.lower()} range.",
                        is_shippable=category.shippable,
                    )
                )
                variant_specs.append((category, category.options(rng)))
        products = Product.objects.bulk_create(products)
        variants, links, serial_variants = [], [], []
        for n, (product, (category, options)) in enumerate(
            zip(products, variant_specs, strict=True), start=1
        ):
            base = rng.randint(*category.dollars) * 100 - rng.choice([1, 1, 5, 0])
            for k, opts in enumerate(options, start=1):
                price = int(opts["amount"]) * 100 if "amount" in opts else base
                if opts.get("size") in ("XL", "XXL") or opts.get("edition") == "Commercial":
                    price = price * (3 if "edition" in opts else 1) + 200
                cost = price if category.code == "GFT" else price * rng.randint(35, 62) // 100
                suffix = "-".join(str(v)[:3].upper() for v in opts.values())
                variants.append(
                    Variant(
                        product=product,
                        sku=f"{category.code}-{n:04d}-{k:02d}" + (f"-{suffix}" if suffix else ""),
                        options=opts,
                        price=Decimal(price) / 100,
                        cost_price=Decimal(cost) / 100,
                        stock=rng.randint(20, 600) if category.shippable else 0,
                        track_stock=category.shippable,
                        hands_out_serial_codes=category.serial,
                    )
                )
                if category.serial:
                    serial_variants.append(len(variants) - 1)
            if category.shippable:
                chosen = rng.sample(vendors, rng.choice([1, 1, 2, 3]))
                links += [
                    ProductVendor(
                        product=product,
                        vendor=vendor,
                        vendor_sku=f"{vendor.name[:3].upper()}-{rng.randint(10000, 99999)}",
                        cost=Decimal(base * rng.randint(35, 60) // 100) / 100,
                        is_default=i == 0,
                    )
                    for i, vendor in enumerate(chosen)
                ]
        variants = Variant.objects.bulk_create(variants)
        ProductVendor.objects.bulk_create(links)
        SerialCode.objects.bulk_create(
            SerialCode(variant=variants[i], code=_free_code(rng))
            for i in serial_variants
            for _ in range(150)
        )
        StockMovement.objects.bulk_create(
            StockMovement(
                variant=v,
                delta=v.stock,
                reason=StockMovement.Reason.INITIAL,
                reference="seed",
                stock_after=v.stock,
            )
            for v in variants
            if v.track_stock and v.stock
        )
    return True


def _free_code(rng: random.Random) -> str:
    raw = f"{rng.getrandbits(64):016X}"
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _allocated_code(number: int, k: int) -> str:
    # A bijection of (number, k) scrambled to 40 bits: unique per variant, and never the shape
    # of a free pool code (16 hex digits), so the two kinds cannot collide.
    raw = f"{((number << 3 | k) * 0x9E3779B1) & 0xFF_FFFF_FFFF:010X}"
    return f"{raw[:5]}-{raw[5:]}"


@dataclass(frozen=True)
class CatalogVariant:
    id: int
    # "variant_id\tproduct_id\tsku\tname\toptions\tunit_price\tunit_cost\t" for a line row
    static: str
    price: int  # cents
    shippable: bool
    serial: bool
    tracked: bool


def _catalog_load() -> list[CatalogVariant]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT v.id, v.product_id, v.sku, p.name, v.options, v.price, v.cost_price,
                   p.is_shippable, v.track_stock, v.hands_out_serial_codes
            FROM catalog_variant v JOIN catalog_product p ON p.id = v.product_id
            WHERE p.is_active ORDER BY v.id
            """
        )
        rows = cursor.fetchall()
    if not rows:
        raise RuntimeError("The catalog has no active variants to sell.")
    variants = []
    for vid, pid, sku, name, options, price, cost, shippable, tracked, serial in rows:
        options = json.loads(options) if isinstance(options, str) else (options or {})
        label = ", ".join(f"{k}: {v}" for k, v in sorted(options.items()))
        static = f"{vid}\t{pid}\t{esc(sku)}\t{esc(name)}\t{esc(label)}\t{price:.2f}\t{cost:.2f}\t"
        variants.append(CatalogVariant(vid, static, cents(price), shippable, serial, tracked))
    return variants


# --- Customers ----------------------------------------------------------------------------

PROFILE_COLUMNS = (
    "id", "first_name", "last_name", "company", "email", "phone", "member_ref", "created_at",
)  # fmt: skip
ADDRESS_COLUMNS = (
    "profile_id", "name", "line1", "line2", "city", "region", "postal_code", "country", "phone",
    "is_default_shipping", "is_default_billing",
)  # fmt: skip


def _profiles_ensure(rng: random.Random, pools: Pools, target: int) -> int:
    """Top the profiles up to `target`, each with one or two addresses; ~40% are members."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_profile")
        missing = target - cursor.fetchone()[0]
    if missing <= 0:
        return 0
    ts = Timestamps()
    now = int(time.time())
    profiles, addresses = [], []
    for pid in _reserve(_identity("customers_profile"), missing):
        first, last = rng.choice(pools.first_names), rng.choice(pools.last_names)
        name, phone = f"{first} {last}", pools.phone(rng)
        company = rng.choice(pools.companies) if rng.random() < 0.08 else ""
        member = f"sf-{pid}" if rng.random() < 0.4 else "\\N"
        created = now - rng.randint(DAY, (HISTORY_DAYS + 365) * DAY)
        profiles.append(
            f"{pid}\t{esc(first)}\t{esc(last)}\t{esc(company)}\t"
            f"{esc(pools.email(rng, first, last, pid))}\t{phone}\t{member}\t{ts(created)}\n"
        )
        for k in range(1 if rng.random() < 0.6 else 2):
            place = rng.choice(pools.places)
            default = "t" if k == 0 else "f"
            addresses.append(
                f"{pid}\t{esc(name)}\t{esc(place.line1)}\t{pools.line2(rng)}\t{esc(place.city)}\t"
                f"{place.region}\t{place.postal_code}\tUS\t{phone}\t{default}\t{default}\n"
            )
    with transaction.atomic():
        _copy("customers_profile", PROFILE_COLUMNS, "".join(profiles))
        _copy("customers_address", ADDRESS_COLUMNS, "".join(addresses))
    return missing


def _customers_load(limit: int = 100_000) -> list[Person]:
    """The store's profiles (not the anonymous one) with their default addresses."""
    anonymous = CustomerSettings.objects.values_list("anonymous_profile_id", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.id, p.first_name, p.last_name, p.email, p.phone, p.member_ref IS NOT NULL,
                   a.name, a.line1, a.line2, a.city, a.region, a.postal_code, a.country, a.phone,
                   a.is_default_shipping, a.is_default_billing
            FROM (SELECT * FROM customers_profile
                  WHERE email <> '' AND id IS DISTINCT FROM %s ORDER BY id DESC LIMIT %s) p
            JOIN customers_address a ON a.profile_id = p.id
            ORDER BY p.id, a.id
            """,
            [anonymous, limit],
        )
        rows = cursor.fetchall()
    by_profile: dict[int, list] = {}
    for row in rows:
        by_profile.setdefault(row[0], []).append(row)
    people = []
    for pid, addresses in by_profile.items():
        _, first, last, email, phone, is_member = addresses[0][:6]
        name = f"{first} {last}".strip()

        def snapshot(row, name=name):
            keys = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")
            snap = dict(zip(keys, row[6:14], strict=True))
            snap["name"] = snap["name"] or name
            return snap

        ship = next((a for a in addresses if a[14]), addresses[0])
        bill = next((a for a in addresses if a[15]), ship)
        people.append(
            (
                is_member,
                Person(
                    profile_id=str(pid),
                    name=esc(name),
                    email=esc(email),
                    phone=esc(phone),
                    shipping=_json(snapshot(ship)),
                    billing=_json(snapshot(bill)),
                    tax_bp=STATE_TAX_BP.get(bill[10], DEFAULT_TAX_BP),
                ),
            )
        )
    return people


# --- Orders -------------------------------------------------------------------------------

ORDER_COLUMNS = (
    "id", "number", "channel", "status", "profile_id", "customer_email", "customer_name",
    "customer_phone", "placed_at", "currency", "subtotal", "discount_total", "shipping_total",
    "tax_total", "total", "billing_address", "shipping_address", "client_ip", "external_ref",
    "payment_token", "authorization_code", "stock_committed", "created_at", "updated_at",
    "paid_at", "first_paid_at", "risk_level", "risk_signals",
)  # fmt: skip
LINE_COLUMNS = (
    "order_id", "variant_id", "product_id", "sku", "name", "options", "unit_price", "unit_cost",
    "quantity", "tax", "discount", "total", "is_shippable", "fulfilment_status",
    "quantity_fulfilled", "placed_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "order_id", "kind", "from_status", "to_status", "message", "actor_id", "actor_label",
    "created_at",
)  # fmt: skip
TEST_TOKENS = ("tok_approve", "tok_decline", "tok_insufficient_funds", "tok_avs_mismatch")
TEST_TOKEN_WEIGHTS = (80, 8, 4, 8)
CODE_COLUMNS = ("variant_id", "code", "allocated_at", "allocation_reference", "status")

CHANNELS = [(Channel.ONLINE, 70), (Channel.IN_STORE, 22), (Channel.BACK_OFFICE, 8)]
LINE_COUNTS = [(1, 26), (2, 30), (3, 20), (4, 14), (5, 10)]  # 2.52 on average
QUANTITIES = [(1, 72), (2, 18), (3, 6), (4, 3), (5, 1)]
# Status by the order's age in days: the newest wait for payment or shipping, the old are done.
STATUS_BY_AGE = [
    (1, {S.PENDING: 40, S.PAID: 28, S.IN_PROCESS: 15, S.SHIPPED: 8, S.COMPLETE: 6, S.CANCELLED: 3}),
    (4, {S.PENDING: 10, S.PAID: 10, S.IN_PROCESS: 25, S.SHIPPED: 40, S.DELIVERED: 5,
         S.COMPLETE: 5, S.CANCELLED: 5}),
    (14, {S.PENDING: 3, S.PAID: 3, S.IN_PROCESS: 6, S.SHIPPED: 25, S.DELIVERED: 35,
          S.COMPLETE: 22, S.CANCELLED: 6}),
    (60, {S.PENDING: 1, S.PAID: 1, S.IN_PROCESS: 1, S.SHIPPED: 4, S.DELIVERED: 25,
          S.COMPLETE: 63, S.CANCELLED: 5}),
    (10**9, {S.PENDING: 0.3, S.PAID: 0.2, S.IN_PROCESS: 0.2, S.SHIPPED: 0.5, S.DELIVERED: 12,
             S.COMPLETE: 82, S.CANCELLED: 4.8}),
]  # fmt: skip
# The newest orders of every run, so that even a tiny seed shows every status and channel.
NEWEST = [
    (Channel.ONLINE, S.PENDING), (Channel.ONLINE, S.PAID), (Channel.ONLINE, S.IN_PROCESS),
    (Channel.ONLINE, S.SHIPPED), (Channel.ONLINE, S.DELIVERED), (Channel.ONLINE, S.COMPLETE),
    (Channel.ONLINE, S.CANCELLED), (Channel.IN_STORE, S.COMPLETE), (Channel.BACK_OFFICE, S.PAID),
]  # fmt: skip
SHIPPING_STATUSES = {S.IN_PROCESS, S.SHIPPED, S.DELIVERED}
PLACED_BY = {
    Channel.ONLINE: ("API: Storefront", "Order received from the storefront."),
    Channel.IN_STORE: ("API: Register", "Order received from the register."),
    Channel.BACK_OFFICE: ("Back office", "Order entered in the back office."),
}
# Seconds from the previous status to this one, lowest and highest.
DELAYS = {
    S.IN_PROCESS: (3_600, 20 * 3_600),
    S.SHIPPED: (4 * 3_600, 3 * DAY),
    S.DELIVERED: (DAY, 6 * DAY),
    S.COMPLETE: (DAY, 10 * DAY),
    S.CANCELLED: (3_600, 4 * DAY),
    S.PENDING: (3_600, 2 * DAY),
}
BOOKED = "Stock decreased and sales recorded."
REVERSED = "Stock and sales restored."
# Channels whose orders intake rates for fraud (orders keyed in by staff are not). The seed
# writes them unrated ("low", no signals) and _risk_rate then rates them from their data.
RATED_CHANNELS = (Channel.ONLINE, Channel.IN_STORE)
UNRATED = "low\t[]"


def _cumulative(weights) -> tuple[list, list[float]]:
    items, totals, running = [], [], 0.0
    for item, weight in weights:
        running += weight
        items.append(item)
        totals.append(running)
    return items, [t / running for t in totals]


@dataclass
class Batch:
    orders: str
    lines: str
    events: str
    codes: str
    count: int
    line_count: int
    event_count: int
    code_count: int
    units_sold: Counter


class OrderFactory:
    """Renders orders, their lines, events and allocated serial codes as COPY text."""

    def __init__(self, *, rng, catalog, customers, guests, currency, now):
        self.rng = rng
        self.now = now
        self.currency = currency
        self.ts = Timestamps()
        self.variants = catalog
        # Popularity falls off with rank, as in any store: a few bestsellers, a long tail.
        order = list(range(len(catalog)))
        rng.shuffle(order)
        weights = [0.0] * len(catalog)
        for rank, i in enumerate(order):
            weights[i] = 1 / (rank + 8) ** 0.9
        self.any_variant = _cumulative(zip(catalog, weights, strict=True))
        shippable = [(v, w) for v, w in zip(catalog, weights, strict=True) if v.shippable]
        self.shippable_variant = _cumulative(shippable) if shippable else self.any_variant
        self.members = [p for is_member, p in customers if is_member] or guests
        self.profiles = [p for _, p in customers] or guests
        self.guests = guests
        self.channels = _cumulative(CHANNELS)
        self.line_counts = _cumulative(LINE_COUNTS)
        self.quantities = _cumulative(QUANTITIES)
        self.status_by_age = [(days, _cumulative(w.items())) for days, w in STATUS_BY_AGE]

    def placed_times(self, count: int) -> list[int]:
        """`count` sorted times over the last two years, busier towards now (the store grows)."""
        rng, start, span = self.rng, self.now - HISTORY_DAYS * DAY, HISTORY_DAYS * DAY - 600
        return sorted(int(start + span * rng.random() ** 0.7) for _ in range(count))

    def _pick(self, table):
        return self._pick_with(self.rng, table)

    @staticmethod
    def _pick_with(rng: random.Random, table):
        items, totals = table
        return items[bisect.bisect_left(totals, rng.random())]

    def _person(self, channel: str) -> Person:
        rng = self.rng
        if channel == Channel.BACK_OFFICE:
            pool = self.profiles
        elif channel == Channel.ONLINE:
            pool = self.members if rng.random() < 0.55 else self.guests
        else:
            pool = self.profiles if rng.random() < 0.25 else self.guests
        # Squaring skews towards the front of the pool: some customers come back often.
        return pool[int(len(pool) * rng.random() ** 2)]

    def _status(self, placed: int) -> str:
        age = (self.now - placed) / DAY
        for days, table in self.status_by_age:
            if age < days:
                return self._pick(table)
        return S.COMPLETE

    def _path(self, status: str, channel: str, ships: bool) -> list[str]:
        """The statuses the order went through after pending, as the status machine allows."""
        r = self.rng.random
        if channel == Channel.IN_STORE or not ships:
            # Handed over at the counter, or nothing to ship: complete as soon as it is paid.
            if status in SHIPPING_STATUSES:
                status = S.COMPLETE
            if status == S.PENDING:
                return []
            if not ships and status == S.PAID:
                status = S.COMPLETE  # order_transition completes it with the payment
            if status == S.CANCELLED:
                if r() < 0.6:
                    return [S.CANCELLED]
                return [S.PAID, S.CANCELLED] if ships else [S.PAID, S.COMPLETE, S.CANCELLED]
            return [S.PAID] if status == S.PAID else [S.PAID, S.COMPLETE]
        if status == S.PENDING:
            return [S.PAID, S.PENDING] if r() < 0.03 else []  # a rolled-back payment
        if status == S.PAID:
            return [S.PAID]
        if status == S.IN_PROCESS:
            return [S.PAID, S.IN_PROCESS]
        if status == S.CANCELLED:
            x = r()
            if x < 0.55:
                return [S.CANCELLED]
            return [S.PAID, S.CANCELLED] if x < 0.9 else [S.PAID, S.IN_PROCESS, S.CANCELLED]
        path = [S.PAID, S.IN_PROCESS] if r() < 0.6 else [S.PAID]
        path.append(S.SHIPPED)
        if status == S.DELIVERED or (status == S.COMPLETE and r() < 0.8):
            path.append(S.DELIVERED)
        if status == S.COMPLETE:
            path.append(S.COMPLETE)
        return path

    def _delay(self, to: str, previous: str, channel: str) -> int:
        u = self.rng.uniform
        if to == S.PAID:
            if channel == Channel.IN_STORE:
                return int(u(10, 120))
            return int(u(20, 7_200) if channel == Channel.ONLINE else u(600, 2 * DAY))
        if to == S.COMPLETE and previous == S.PAID:
            return int(u(10, 300) if channel == Channel.IN_STORE else u(5, 600))
        low, high = DELAYS[to]
        return int(u(low, high))

    def batch(self, keys: list[tuple[int, int]], placed: list[int], newest: list) -> Batch:
        """Orders for `keys` ((id, number) pairs) placed at `placed`; `newest[i]` forces
        the channel and status of the i-th order when not None."""
        rng, r, ts, cents_text_ = self.rng, self.rng.random, self.ts, cents_text
        orders, lines, events, codes = [], [], [], []
        units_sold: Counter = Counter()
        line_count = 0
        for (oid, number), at, forced in zip(keys, placed, newest, strict=True):
            if forced:
                channel, status = forced
            else:
                channel, status = self._pick(self.channels), self._status(at)
            needs_shipping = channel != Channel.IN_STORE and status in SHIPPING_STATUSES
            # Lines: distinct variants; an order that must ship gets at least one shippable.
            n = self._pick(self.line_counts)
            chosen: dict[int, CatalogVariant] = {}
            if needs_shipping:
                v = self._pick(self.shippable_variant)
                chosen[v.id] = v
            while len(chosen) < n:
                v = self._pick(self.any_variant)
                chosen[v.id] = v
            ships = any(v.shippable for v in chosen.values())
            path = self._path(status, channel, ships)
            status = path[-1] if path else S.PENDING
            paid = S.PAID in path
            committed = paid and status not in (S.PENDING, S.CANCELLED)
            sent = status in (S.SHIPPED, S.DELIVERED, S.COMPLETE)
            person = self._person(channel)

            subtotal = tax = 0
            rendered, serials = [], []
            placed = ts(at)  # the lines' copy of the order's placed_at
            for v in chosen.values():
                q = self._pick(self.quantities) if not v.serial else 1
                gross = v.price * q
                discount = gross * rng.choice((10, 15, 20, 25)) // 100 if r() < 0.1 else 0
                total = gross - discount
                line_tax = (total * person.tax_bp + 5_000) // 10_000
                subtotal += total
                tax += line_tax
                if not v.shippable:
                    state, done = Fulfilment.NOT_REQUIRED, 0
                elif sent:
                    state, done = Fulfilment.FULFILLED, q
                elif status == S.IN_PROCESS and q > 1 and r() < 0.2:
                    state, done = Fulfilment.PARTIAL, rng.randint(1, q - 1)
                else:
                    state, done = Fulfilment.UNFULFILLED, 0
                rendered.append(
                    f"{oid}\t{v.static}{q}\t{cents_text_(line_tax)}\t{cents_text_(discount)}\t"
                    f"{cents_text_(total)}\t{'t' if v.shippable else 'f'}\t{state}\t{done}\t"
                    f"{placed}\n"
                )
                if committed:
                    units_sold[v.id] += q
                    if v.serial:
                        serials.append((v.id, q))
            lines += rendered
            line_count += len(rendered)

            order_discount = subtotal * rng.choice((5, 10, 15)) // 100 if r() < 0.08 else 0
            shipping = 0
            if ships and channel != Channel.IN_STORE and subtotal < 10_000:
                shipping = 499 if r() < 0.7 else (899 if r() < 0.67 else 1499)
            total = subtotal - order_discount + shipping + tax

            # The timeline: placed, then each status (with its stock effect), squeezed into
            # the time between placing and now if the path would end in the future.
            times, t, previous = [], at, S.PENDING
            for to in path:
                t += self._delay(to, previous, channel)
                times.append(t)
                previous = to
            if times and times[-1] > self.now:
                scale = max(0.0, (self.now - at) / (times[-1] - at))
                times = [at + int((x - at) * scale) for x in times]
            placed_by, placed_message = PLACED_BY[channel]
            events.append(f"{oid}\tplaced\t\t\t{placed_message}\t\\N\t{placed_by}\t{ts(at)}\n")
            previous, booked = S.PENDING, False
            for to, when in zip(path, times, strict=True):
                label = placed_by if to == S.PAID and channel != Channel.BACK_OFFICE else "System"
                stamp = ts(when)
                if to == S.PAID:
                    events.append(f"{oid}\tstock\t\t\t{BOOKED}\t\\N\t{label}\t{stamp}\n")
                    booked = True
                elif booked and to in (S.PENDING, S.CANCELLED):
                    events.append(f"{oid}\tstock\t\t\t{REVERSED}\t\\N\t{label}\t{stamp}\n")
                    booked = False
                events.append(f"{oid}\tstatus\t{previous}\t{to}\t\t\\N\t{label}\t{stamp}\n")
                previous = to
            updated = times[-1] if times else at
            if serials:
                handed_out = ts(times[path.index(S.PAID)])
                for vid, q in serials:
                    codes += [
                        f"{vid}\t{_allocated_code(number, k)}\t{handed_out}\torder:{number}\tassigned\n"
                        for k in range(q)
                    ]
            if channel == Channel.ONLINE:
                ip = rng.getrandbits(32)
                client_ip = f"{(ip >> 24) % 223 + 1}.{ip >> 16 & 255}.{ip >> 8 & 255}.{ip & 255}"
                ref = f"SF-{number + 4_100_000}"
                # The built-in test gateway's documented tokens, so demo orders can be charged:
                # most approve, some decline, a few trip the address check.
                token = rng.choices(TEST_TOKENS, weights=TEST_TOKEN_WEIGHTS)[0]
            else:
                client_ip, token = "\\N", ""
                ref = f"REG{number % 3 + 1}-{number}" if channel == Channel.IN_STORE else ""
            authorization = f"{rng.getrandbits(32):08X}"[:6] if paid else ""
            # Paid dates as orders.services books them: first_paid_at stays once paid, paid_at
            # only while the sale stands (a rollback or a cancel clears it).
            first_paid = ts(times[path.index(S.PAID)]) if paid else "\\N"
            paid_at = first_paid if committed else "\\N"
            risk = UNRATED if channel in RATED_CHANNELS else "\t[]"
            shipping_address = person.shipping if ships and channel != Channel.IN_STORE else "{}"
            orders.append(
                f"{oid}\t{number}\t{channel}\t{status}\t{person.profile_id}\t{person.email}\t"
                f"{person.name}\t{person.phone}\t{ts(at)}\t{self.currency}\t{cents_text_(subtotal)}\t"
                f"{cents_text_(order_discount)}\t{cents_text_(shipping)}\t{cents_text_(tax)}\t{cents_text_(total)}\t"
                f"{person.billing}\t{shipping_address}\t{client_ip}\t{ref}\t{token}\t"
                f"{authorization}\t{'t' if committed else 'f'}\t{ts(at)}\t{ts(updated)}\t"
                f"{paid_at}\t{first_paid}\t{risk}\n"
            )
        return Batch(
            orders="".join(orders),
            lines="".join(lines),
            events="".join(events),
            codes="".join(codes),
            count=len(orders),
            line_count=line_count,
            event_count=len(events),
            code_count=len(codes),
            units_sold=units_sold,
        )


def _orders_load(factory: OrderFactory, *, orders: int, batch: int, progress: bool) -> Counter:
    """Stream batches from a producer thread into COPY; each batch commits on its own."""
    from tqdm import tqdm

    ids = _reserve(_identity("orders_order"), orders)
    keys = list(zip(ids, _reserve(ORDER_NUMBER_SEQUENCE, orders), strict=True))
    placed = factory.placed_times(orders)
    newest = [None] * orders
    for i, forced in enumerate(NEWEST[:orders]):
        newest[orders - 1 - i] = forced

    batches: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce():
        try:
            for start in range(0, orders, batch):
                end = min(orders, start + batch)
                item = factory.batch(keys[start:end], placed[start:end], newest[start:end])
                while not stop.is_set():
                    try:
                        batches.put(item, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            batches.put(None)
        except BaseException as exc:  # handed to the main thread, which re-raises it
            batches.put(exc)

    counts: Counter = Counter()
    producer = threading.Thread(target=produce, name="seed-producer", daemon=True)
    producer.start()
    bar = tqdm(total=orders, unit="orders", unit_scale=True, disable=not progress, smoothing=0.1)
    try:
        while (item := batches.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            with transaction.atomic():
                _copy("orders_order", ORDER_COLUMNS, item.orders)
                _copy("orders_orderline", LINE_COLUMNS, item.lines)
                _copy("orders_orderevent", EVENT_COLUMNS, item.events)
                _copy("catalog_serialcode", CODE_COLUMNS, item.codes)
                _units_sold_add(item.units_sold)
            counts.update(
                orders=item.count,
                lines=item.line_count,
                events=item.event_count,
                codes=item.code_count,
            )
            bar.update(item.count)
    finally:
        stop.set()
        bar.close()
        producer.join(timeout=5)
    return counts


def _units_sold_add(units: Counter) -> None:
    if not units:
        return
    ids, quantities = zip(*sorted(units.items()), strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE catalog_variant v SET units_sold = v.units_sold + s.q "
            "FROM unnest(%s::bigint[], %s::int[]) AS s(id, q) WHERE v.id = s.id",
            [list(ids), list(quantities)],
        )


# --- Deferring index maintenance for big loads ----------------------------------------------


def _pending_ddl_path() -> Path:
    name = connection.settings_dict["NAME"]
    return Path(settings.BASE_DIR) / ".data" / "seed" / f"restore-{name}.json"


def _deferrable_ddl() -> list[dict]:
    """The orders tables' secondary indexes and foreign keys, as statements that recreate them.

    Primary keys and unique constraints stay: they guard the data while it loads.
    """
    tables = list(ORDER_TABLES)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT 'index', i.relname, t.relname, pg_get_indexdef(i.oid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            UNION ALL
            SELECT 'fk', c.conname, t.relname, pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
            WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace
              AND c.contype = 'f'
            ORDER BY 1, 2
            """,
            [tables, tables],
        )
        return [
            {"kind": kind, "name": name, "table": table, "definition": definition}
            for kind, name, table, definition in cursor.fetchall()
        ]


def _ddl_restore(items: list[dict], say) -> None:
    """Recreate what is missing of `items` (indexes first, so the foreign keys' checks are
    quick); safe to run twice."""
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for item in sorted(items, key=lambda i: i["kind"] != "index"):
            if item["kind"] == "index":
                cursor.execute("SELECT 1 FROM pg_class WHERE relname = %s", [item["name"]])
                if not cursor.fetchone():
                    cursor.execute(item["definition"])
            else:
                cursor.execute("SELECT 1 FROM pg_constraint WHERE conname = %s", [item["name"]])
                if not cursor.fetchone():
                    cursor.execute(
                        f'ALTER TABLE {item["table"]} ADD CONSTRAINT "{item["name"]}" '
                        f"{item['definition']}"
                    )
        cursor.execute("RESET maintenance_work_mem")
    say(f"Rebuilt {len(items)} indexes and foreign keys in {time.monotonic() - started:.1f} s.\n")


def _pending_ddl_restore(say) -> None:
    """Restore indexes and foreign keys an interrupted earlier run left dropped."""
    path = _pending_ddl_path()
    if path.exists():
        say("Restoring indexes left dropped by an interrupted seed…\n")
        _ddl_restore(json.loads(path.read_text()), say)
        path.unlink()


@contextmanager
def _indexes_deferred(*, enabled: bool, say) -> Iterator[None]:
    if not enabled or connection.in_atomic_block:
        yield
        return
    items = _deferrable_ddl()
    path = _pending_ddl_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(items, indent=1))
    with connection.cursor() as cursor:
        for item in items:
            if item["kind"] == "fk":
                cursor.execute(f'ALTER TABLE {item["table"]} DROP CONSTRAINT "{item["name"]}"')
        for item in items:
            if item["kind"] == "index":
                cursor.execute(f'DROP INDEX "{item["name"]}"')
    say(f"Dropped {len(items)} indexes and foreign keys for the load; rebuilt at the end.\n")
    try:
        yield
    finally:
        _ddl_restore(items, say)
        path.unlink(missing_ok=True)


# --- Order entry demo (seed 003) -----------------------------------------------------------


def entry_demo_ensure(*, username: str = "staff") -> int:
    """Two saved drafts and three back-office orders keyed in through order entry (unpaid; paid
    offline to two addresses with a gift; digital, paid and complete), once: nothing when the
    user has drafts or entry has placed orders already. Returns how many orders were placed."""
    from django.contrib.auth import get_user_model

    from customers.models import Profile
    from entry.models import Draft
    from orders.models import Order

    user = get_user_model().objects.filter(username=username).first()
    entered = Order.objects.filter(channel="back_office", external_ref__startswith="draft:")
    if user is None or Draft.objects.filter(owner=user).exists() or entered.exists():
        return 0
    shippable = list(
        Variant.objects.filter(
            product__is_shippable=True, product__is_active=True, stock__gte=5
        ).order_by("id")[:3]
    )
    digital = (
        Variant.objects.filter(product__is_shippable=False, product__is_active=True)
        .filter(Q(track_stock=False) | Q(stock__gte=2))
        .first()
    )
    profiles = list(Profile.objects.filter(addresses__isnull=False).distinct().order_by("id")[:5])
    if len(shippable) < 2 or len(profiles) < 5:
        return 0
    _entry_draft(user, profiles[0], shippable[:1], step="items")
    _entry_draft(user, profiles[1], shippable[1:2], ship=True)
    placed = [
        _entry_place(user, _entry_draft(user, profiles[2], shippable[:2], ship=True), paid=False),
        _entry_place(user, _entry_draft(user, profiles[3], shippable[:2], split=True), paid=True),
    ]
    if digital is not None:
        placed.append(_entry_place(user, _entry_draft(user, profiles[4], [digital]), paid=True))
    return len(placed)


def _entry_draft(user, profile, variants, *, step="review", ship=False, split=False):
    from customers.services import address_add
    from entry import services
    from shipping.models import ShippingMethod

    draft = services.draft_create(owner=user)
    services.draft_contact_set(draft_id=draft.pk, owner=user, profile_id=profile.pk)
    lines = [
        services.draft_line_add(draft_id=draft.pk, owner=user, variant_id=v.pk, quantity=2)
        for v in variants
    ]
    if step == "items":
        return draft
    services.draft_items_confirm(draft_id=draft.pk, owner=user)
    if not (ship or split):
        return draft
    addresses = list(profile.addresses.order_by("id"))
    if split and len(addresses) < 2:
        place = addresses[0]
        addresses.append(
            address_add(
                profile=profile,
                name="Gift recipient",
                line1="9 Harbour Lane",
                city=place.city,
                region=place.region,
                postal_code=place.postal_code,
                country=place.country,
            )
        )
    methods = list(ShippingMethod.objects.filter(is_active=True).order_by("position")[:2])
    first, second = addresses[0], addresses[-1] if split else addresses[0]
    allocations = [services.Allocation(ln.pk, first.pk, ln.quantity) for ln in lines]
    if split:
        allocations = [
            services.Allocation(lines[0].pk, first.pk, lines[0].quantity),
            services.Allocation(lines[1].pk, second.pk, lines[1].quantity, is_gift=True),
        ]
    services.draft_shipping_set(
        draft_id=draft.pk,
        owner=user,
        allocations=allocations,
        speeds={first.pk: methods[0].pk, second.pk: methods[-1].pk},
        ship_to_many=split,
    )
    return draft


def _entry_place(user, draft, *, paid: bool):
    from entry import placing
    from entry.selectors import contact_addresses, draft_of, draft_quote
    from orders.actors import Actor
    from payments.services import PaymentInfo

    payment = placing.Payment()
    if paid:
        full = draft_of(draft_id=draft.pk, owner=user)
        total = draft_quote(full, contact_addresses(profile_id=full.profile_id)).total
        info = PaymentInfo(method="check", amount=total, reference=f"DEMO-{draft.pk}")
        payment = placing.Payment(choice="offline", info=info)
    return placing.draft_place(
        draft_id=draft.pk, owner=user, payment=payment, actor=Actor.of(user)
    ).order
