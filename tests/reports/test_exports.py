"""Exports of the orders list: exactly what the list shows, every matching row, CSV or XLSX,
in the request when small and on the worker (with progress) when large."""

import csv
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from invoicing.models import Invoice
from orders.actors import Actor
from orders.models import Channel, OrderStatus
from payments.services import PaymentInfo, order_mark_paid
from reports import services, tasks
from reports.models import Export
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db
START = reverse("reports:export_start")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TIME_ZONE = "America/New_York"
    return tmp_path


@pytest.fixture
def worker(monkeypatch):
    """The worker, run in this process when the job is handed over (after commit)."""
    ran = []

    def run(export_id):
        ran.append(export_id)
        services.export_run(export_id=export_id)

    monkeypatch.setattr(tasks.export_run_task, "delay", run)
    return ran


def order(number_of_items=1, **fields):
    placed = fields.pop("placed_at", datetime(2026, 3, 1, 15, 30, tzinfo=UTC))
    made = OrderFactory(placed_at=placed, **fields)
    OrderLineFactory(order=made, quantity=number_of_items)
    made.total = Decimal("12.50")
    made.save(update_fields=["total"])
    return made


def export(client, query="", fmt="csv", source="orders", **extra):
    return client.post(START, {"source": source, "query": query, "format": fmt}, **extra)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def xlsx_rows(data: bytes) -> list[list[str]]:
    """The first sheet's cells as text (inline and shared strings, numbers as written)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        shared = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in root]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{{{ns['m']}}}row"):
        cells = []
        for cell in row.findall("m:c", ns):
            kind = cell.get("t")
            if kind == "inlineStr":
                cells.append("".join(t.text or "" for t in cell.iter(f"{{{ns['m']}}}t")))
            elif kind == "s":
                cells.append(shared[int(cell.find("m:v", ns).text)])
            else:
                cells.append(cell.find("m:v", ns).text)
        rows.append(cells)
    return rows


def test_csv_export_has_exactly_the_filtered_rows_in_the_lists_order(staff_client):
    old = order(status=OrderStatus.PAID, placed_at=datetime(2026, 1, 5, 3, 0, tzinfo=UTC))
    new = order(number_of_items=3, status=OrderStatus.PAID, channel=Channel.IN_STORE)
    order(status=OrderStatus.PENDING)  # filtered out

    response = export(staff_client, "status=paid&after=garbage&per_page=10")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.match(
        r'attachment; filename="orders-\d{8}-\d{4}\.csv"', response["Content-Disposition"]
    )
    header, *rows = csv_rows(response)
    assert header == [
        "Order", "Placed", "Channel", "Customer", "Email", "Items", "Total", "Currency",
        "Status", "Risk",
    ]  # fmt: skip
    assert [row[0] for row in rows] == [str(new.number), str(old.number)]  # newest first
    assert rows[0][1:3] == ["2026-03-01 10:30", "In store"]  # the store's time (New York)
    assert rows[1][1] == "2026-01-04 22:00"
    assert rows[0][3:] == [
        new.customer_name, new.customer_email, "3", "12.50", "USD", "Paid", "",  # no fraud review ran: no risk
    ]  # fmt: skip


def test_the_export_follows_the_lists_sort(staff_client):
    cheap = order()
    dear = order()
    dear.total = Decimal("99.00")
    dear.save(update_fields=["total"])
    _, *rows = csv_rows(export(staff_client, "sort=-total"))
    assert [row[0] for row in rows] == [str(dear.number), str(cheap.number)]


def test_text_a_spreadsheet_would_run_is_defused(staff_client):
    order(customer_name='=HYPERLINK("http://evil.example","x")', customer_email="@x@example.com")
    _, row = csv_rows(export(staff_client))
    assert row[3] == '\'=HYPERLINK("http://evil.example","x")'
    assert row[4] == "'@x@example.com"


def test_xlsx_export_has_the_same_rows_with_real_numbers(staff_client):
    made = order(number_of_items=2, customer_name="=1+1")
    response = export(staff_client, fmt="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, row = xlsx_rows(b"".join(response.streaming_content))
    assert header[0] == "Order" and len(header) == 10
    assert row[0] == str(made.number)
    assert row[3] == "=1+1"  # a string cell, never a formula
    assert (row[5], row[6], row[8]) == ("2", "12.5", "Pending")


def test_a_large_export_runs_on_the_worker_with_progress_and_a_download(
    staff_client, settings, worker, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS_CSV = 2
    made = [order() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        response = export(staff_client)
    job = Export.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:export_detail", args=[job.pk])
    assert worker == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.rows_total, job.rows_done, job.percent) == ("done", 3, 3, 100)

    page = staff_client.get(response["Location"]).content.decode()
    assert "Ready." in page and reverse("reports:export_download", args=[job.pk]) in page
    download = staff_client.get(reverse("reports:export_download", args=[job.pk]))
    _, *rows = list(csv.reader(io.StringIO(b"".join(download).decode().removeprefix("\ufeff"))))
    assert sorted(int(row[0]) for row in rows) == sorted(o.number for o in made)


def test_a_running_export_polls_its_progress(staff_client, staff_user):
    job = Export.objects.create(
        source="orders", format="csv", filename="orders.csv", created_by=staff_user,
        status=Export.Status.RUNNING, rows_total=200, rows_done=50,
    )  # fmt: skip
    url = reverse("reports:export_detail", args=[job.pk])
    page = staff_client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in page and "50 of 200 rows" in page
    assert 'value="25"' in page
    partial = staff_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'id="export-progress"' in partial
    download = staff_client.get(reverse("reports:export_download", args=[job.pk]))
    assert download.status_code == 404  # not ready yet


def test_an_xlsx_export_on_the_worker(
    staff_client, settings, worker, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS_XLSX = 1
    order()
    order()
    with django_capture_on_commit_callbacks(execute=True):
        export(staff_client, fmt="xlsx")
    job = Export.objects.get()
    assert job.status == "done" and job.rows_total == 2 and job.filename.endswith(".xlsx")
    with job.file.open("rb") as handle:
        assert len(xlsx_rows(handle.read())) == 3


def test_a_job_runs_once(staff_user):
    job = Export.objects.create(
        source="orders", format="csv", filename="orders.csv", created_by=staff_user,
        status=Export.Status.RUNNING, started_at=timezone.now(),
    )  # fmt: skip
    services.export_run(export_id=job.pk)
    job.refresh_from_db()
    assert job.status == Export.Status.RUNNING and not job.file


def test_a_failed_export_says_why(staff_user):
    job = Export.objects.create(
        source="nope", format="csv", filename="x.csv", created_by=staff_user
    )
    services.export_run(export_id=job.pk)
    job.refresh_from_db()
    assert job.status == Export.Status.FAILED and "no list called" in job.error


def test_someone_elses_export_is_not_found(client, staff_user):
    job = Export.objects.create(
        source="orders", format="csv", filename="x.csv", created_by=staff_user, status="done"
    )
    client.force_login(UserFactory(role="staff"))
    assert client.get(reverse("reports:export_detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("reports:export_download", args=[job.pk])).status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"source": "orders", "format": "pdf"}, "Export as CSV or XLSX."),
        ({"source": "payroll", "format": "csv"}, "There is no list called “payroll” to export."),
    ],
)
def test_bad_export_requests_are_refused_with_a_message(staff_client, data, message):
    response = staff_client.post(START, data, follow=True)
    assert message in response.content.decode()
    assert not Export.objects.exists()


def test_exporting_needs_the_permission(client):
    user = UserFactory()
    user.save()  # the factory leaves the password unsaved
    client.force_login(user)
    assert export(client).status_code == 403
    assert client.get(reverse("reports:export_list")).status_code == 403


def test_exporting_is_a_post(staff_client):
    assert staff_client.get(START).status_code == 405


def test_old_exports_are_pruned_with_their_files(staff_user, media):
    job = Export.objects.create(
        source="orders", format="csv", filename="x.csv", created_by=staff_user, status="done"
    )
    job.file.save("x.csv", io.BytesIO(b"a,b\n"))
    path = job.file.path
    Export.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=8))
    fresh = Export.objects.create(
        source="orders", format="csv", filename="y.csv", created_by=staff_user
    )
    assert services.exports_prune() == 1
    assert list(Export.objects.all()) == [fresh]
    assert not Path(path).exists()


def test_your_exports_lists_only_yours(staff_client, staff_user):
    Export.objects.create(source="orders", format="csv", filename="mine.csv", created_by=staff_user)
    Export.objects.create(
        source="orders", format="csv", filename="theirs.csv", created_by=UserFactory()
    )
    page = staff_client.get(reverse("reports:export_list")).content.decode()
    assert "mine.csv" in page and "theirs.csv" not in page


# ---- The transactions grid ------------------------------------------------------------------


def test_the_grid_exports_one_row_per_item_with_its_invoice_number(staff_client):
    mug = ProductFactory(name="Mug")
    paid = OrderFactory(placed_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC), customer_name="Ada")
    OrderLineFactory(order=paid, variant=VariantFactory(product=mug), quantity=2)
    OrderLineFactory(order=paid, variant=VariantFactory(product=ProductFactory(name="Tee")))
    order_mark_paid(
        order_id=paid.pk,
        payment=PaymentInfo(method="check", amount=paid.subtotal, reference="1"),
        actor=Actor.system(),
    )
    other = OrderFactory(placed_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    OrderLineFactory(order=other, variant=VariantFactory(product=mug))
    invoice = Invoice.objects.get(order=paid)

    header, *rows = csv_rows(export(staff_client, f"item={mug.pk}", source="transactions"))

    assert header == [
        "Date", "Invoice", "Order", "Buyer", "Email", "Item", "Options", "SKU", "Quantity",
        "Amount", "Currency", "Payment", "Sent", "Status",
    ]  # fmt: skip
    assert [(row[1], row[2], row[8]) for row in rows] == [
        (invoice.display_number, str(paid.number), "2"),  # newest first; the tee filtered out
        ("", str(other.number), "1"),  # not paid: no invoice yet
    ]
    first = rows[0]
    assert first[0] == "2026-03-02 07:00" and first[3] == "Ada"  # New York time
    assert (first[11], first[12], first[13]) == ("Paid", "Not sent", "Paid")


def test_the_grid_export_follows_its_sort(staff_client):
    small = OrderLineFactory(quantity=1)
    big = OrderLineFactory(quantity=5)
    _, *rows = csv_rows(export(staff_client, "sort=-quantity", source="transactions"))
    assert [row[2] for row in rows] == [str(big.order.number), str(small.order.number)]
