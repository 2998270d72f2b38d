"""The invoice pages: list, invoice, PDF, move, post, batch post, CSV export, the order
page's panel, and who may open which."""

import csv
import io
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from core.formatting import money_label
from invoicing import pdf as invoice_pdf_module
from invoicing.exports import HEADER, export_csv
from invoicing.models import Invoice
from invoicing.selectors import invoice_detail
from invoicing.services import invoice_post
from orders.actors import Actor
from tests.factories import OrderLineFactory, ProfileFactory, UserFactory

from .conftest import order_of, paid_invoice, pay, roll_back

pytestmark = pytest.mark.django_db
LIST = reverse("invoicing:list")


def detail_url(invoice):
    return reverse("invoicing:detail", kwargs={"number": invoice.number})


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def posted(invoice: Invoice) -> Invoice:
    invoice_post(invoice_id=invoice.pk, actor=Actor.system())
    invoice.refresh_from_db()
    return invoice


# ---- List ---------------------------------------------------------------------------------------


def test_list_shows_invoices_newest_first(staff_client, anonymous_profile):
    first, second = paid_invoice(), paid_invoice()
    html = staff_client.get(LIST).content.decode()
    assert html.index(second.display_number) < html.index(first.display_number)
    assert f'href="{detail_url(first)}"' in html
    assert "Walk-in Customers" in html


def test_list_filters_by_status_and_dates(staff_client, anonymous_profile):
    draft = paid_invoice()
    done = posted(paid_invoice())
    old = paid_invoice()
    Invoice.objects.filter(pk=old.pk).update(issued_at=timezone.now() - timedelta(days=10))

    html = staff_client.get(LIST, {"status": "posted"}).content.decode()
    assert done.display_number in html and draft.display_number not in html

    today = timezone.localdate()
    html = staff_client.get(
        LIST, {"date_from": today - timedelta(days=11), "date_to": today - timedelta(days=9)}
    ).content.decode()
    assert old.display_number in html
    assert draft.display_number not in html and done.display_number not in html


def test_list_lookup_by_number_opens_the_invoice(staff_client, anonymous_profile):
    invoice = paid_invoice()
    response = staff_client.get(LIST, {"q": invoice.display_number})
    assert response.status_code == 302
    assert response["Location"] == detail_url(invoice)


def test_list_pages_by_keyset_in_constant_queries(
    staff_client, anonymous_profile, django_assert_max_num_queries
):
    invoices = [paid_invoice(lines=1) for _ in range(55)]
    with django_assert_max_num_queries(6):
        first_page = staff_client.get(LIST)
    page = first_page.context["page"]
    assert len(page.invoices) == 50 and page.next_cursor and not page.previous_cursor

    second_page = staff_client.get(LIST, {"after": page.next_cursor}).context["page"]
    assert [i.pk for i in second_page.invoices] == [i.pk for i in invoices[:5]][::-1]
    back = staff_client.get(LIST, {"before": second_page.previous_cursor}).context["page"]
    assert [i.pk for i in back.invoices] == [i.pk for i in page.invoices]


def test_list_ignores_a_garbage_cursor(staff_client, anonymous_profile):
    paid_invoice()
    assert len(staff_client.get(LIST, {"after": "not-a-cursor"}).context["page"].invoices) == 1


# ---- Invoice page --------------------------------------------------------------------------


def test_invoice_page_shows_store_buyer_lines_totals_and_payment(
    staff_client, anonymous_profile, settings, django_assert_max_num_queries
):
    settings.STORE_NAME = "Harbour Books"
    invoice = paid_invoice(lines=2)
    with django_assert_max_num_queries(10):
        response = staff_client.get(detail_url(invoice))
    html = response.content.decode()
    assert "Harbour Books" in html
    assert invoice.display_number in html
    assert "Walk-in Customers" in html
    assert invoice.billing_address["line1"] in html
    for line in invoice.lines.all():
        assert line.sku in html
    assert "$5.00" in html  # shipping
    assert f"${invoice.total}" in html
    assert "AUTH-77" in html  # the payment record's authorization code
    assert "Move to another profile" in html
    assert "Post INV-" not in html  # staff do not post


def test_invoice_page_offers_posting_to_admins(store_admin_client, anonymous_profile):
    invoice = paid_invoice()
    html = store_admin_client.get(detail_url(invoice)).content.decode()
    assert f"Post {invoice.display_number}" in html


def test_posted_invoice_page_offers_no_changes(store_admin_client, anonymous_profile):
    invoice = posted(paid_invoice())
    html = store_admin_client.get(detail_url(invoice)).content.decode()
    assert "Move to another profile" not in html
    assert f"Post {invoice.display_number}" not in html
    assert "Posted invoices cannot change" in html


def test_credit_note_page_links_the_invoice_it_credits(staff_client, anonymous_profile):
    invoice = posted(paid_invoice())
    roll_back(invoice.order)
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    html = staff_client.get(detail_url(note)).content.decode()
    assert "Credit note" in html and f'href="{detail_url(invoice)}"' in html
    html = staff_client.get(detail_url(invoice)).content.decode()
    assert f'href="{detail_url(note)}"' in html
    assert "by credit note" in html


def test_unknown_invoice_is_404(staff_client):
    assert (
        staff_client.get(reverse("invoicing:detail", kwargs={"number": 424242})).status_code == 404
    )


# ---- Moving from the page ------------------------------------------------------------------


def test_profile_search_finds_by_name_or_email_prefix(staff_client, anonymous_profile):
    invoice = paid_invoice()
    grace = ProfileFactory(first_name="Grace", last_name="Hopper", email="amazing@navy.example")
    ProfileFactory(first_name="Alan", last_name="Turing", email="alan@example.com")

    for q in ("hopp", "GRACE", "grace hop", "amazing@n"):
        response = staff_client.get(detail_url(invoice), {"profile_q": q})
        assert [p.pk for p in response.context["profiles"]] == [grace.pk], q
        assert f'value="{grace.pk}"' in response.content.decode()


def test_profile_search_answers_htmx_with_the_results_partial(staff_client, anonymous_profile):
    invoice = paid_invoice()
    ProfileFactory(first_name="Grace", last_name="Hopper")
    response = staff_client.get(
        detail_url(invoice), {"profile_q": "Hop", "partial": "profiles"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="profile-results">')
    assert "Grace Hopper" in html and "<html" not in html


def test_moving_from_the_page(staff_client, anonymous_profile):
    invoice = paid_invoice()
    grace = ProfileFactory(first_name="Grace", last_name="Hopper")
    response = staff_client.post(
        reverse("invoicing:move", kwargs={"number": invoice.number}),
        {"profile": grace.pk},
        follow=True,
    )
    assert f"Invoice {invoice.display_number} is now applied to Grace Hopper." in messages_of(
        response
    )
    invoice.refresh_from_db()
    assert invoice.profile == grace
    assert invoice.payment_records.get().profile == grace


def test_moving_a_posted_invoice_from_the_page_is_refused(staff_client, anonymous_profile):
    invoice = posted(paid_invoice())
    response = staff_client.post(
        reverse("invoicing:move", kwargs={"number": invoice.number}),
        {"profile": ProfileFactory().pk},
        follow=True,
    )
    assert messages_of(response) == [
        f"Invoice {invoice.display_number} is posted: posted invoices cannot change."
    ]
    invoice.refresh_from_db()
    assert invoice.profile == anonymous_profile


def test_moving_without_choosing_a_profile_says_so(staff_client, anonymous_profile):
    invoice = paid_invoice()
    response = staff_client.post(
        reverse("invoicing:move", kwargs={"number": invoice.number}), {}, follow=True
    )
    assert messages_of(response) == ["Choose the profile to move the invoice to."]


# ---- Posting from the page -----------------------------------------------------------------


def test_posting_from_the_page(store_admin_client, anonymous_profile):
    invoice = paid_invoice()
    response = store_admin_client.post(
        reverse("invoicing:post", kwargs={"number": invoice.number}), follow=True
    )
    assert messages_of(response) == [
        f"Invoice {invoice.display_number} is posted: it can no longer change."
    ]
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.POSTED


def test_batch_posting_from_the_list(store_admin_client, anonymous_profile):
    invoices = [paid_invoice(), paid_invoice()]
    response = store_admin_client.post(
        reverse("invoicing:post_batch"), {"up_to": timezone.localdate().isoformat()}, follow=True
    )
    day = timezone.localdate()
    assert messages_of(response) == [
        f"2 draft invoices issued up to {day:%b} {day.day}, {day.year} posted."
    ]
    assert {i.status for i in Invoice.objects.filter(pk__in=[i.pk for i in invoices])} == {
        Invoice.Status.POSTED
    }


def test_batch_posting_refusals_are_shown(store_admin_client, anonymous_profile):
    paid_invoice()
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    for data, message in [
        ({}, "Choose the day to post drafts up to."),
        ({"up_to": "yesterday"}, "Enter a date as YYYY-MM-DD."),
        ({"up_to": future}, "Choose today or an earlier day: invoices are posted up to a day."),
    ]:
        response = store_admin_client.post(reverse("invoicing:post_batch"), data, follow=True)
        assert messages_of(response) == [message]
    assert not Invoice.objects.filter(status=Invoice.Status.POSTED).exists()


# ---- PDF ----------------------------------------------------------------------------------------


def test_pdf_is_a_pdf_with_a_filename(staff_client, anonymous_profile):
    invoice = paid_invoice()
    response = staff_client.get(reverse("invoicing:pdf", kwargs={"number": invoice.number}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{invoice.display_number}.pdf"' in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("inline")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF")

    download = staff_client.get(
        reverse("invoicing:pdf", kwargs={"number": invoice.number}), {"download": "1"}
    )
    assert download["Content-Disposition"].startswith("attachment")


def test_pdf_without_system_fonts_still_renders_any_text(anonymous_profile, monkeypatch):
    invoice = paid_invoice()
    Invoice.objects.filter(pk=invoice.pk).update(customer_name="Zoë Ωmega − “quoted” 東京")
    invoice = posted(invoice)
    roll_back(invoice.order)
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    monkeypatch.setattr(invoice_pdf_module, "FONT_CANDIDATES", [])
    for document in (invoice, note):
        loaded = invoice_detail(user=None, number=document.number)
        assert invoice_pdf_module.invoice_pdf(loaded).startswith(b"%PDF")


# ---- CSV export ---------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_has_one_row_per_line_of_posted_invoices(store_admin_client, anonymous_profile):
    order = order_of(lines=0)
    OrderLineFactory(
        order=order,
        sku="BOOK-1",
        name="=HYPERLINK(1)",
        quantity=2,
        unit_price=Decimal("10.00"),
        discount=Decimal("1.00"),
        tax=Decimal("0.50"),
    )
    OrderLineFactory(
        order=order,
        sku="BOOK-2",
        name="Atlas",
        quantity=1,
        unit_price=Decimal("7.00"),
        tax=Decimal("0.30"),
    )
    order.shipping_total, order.discount_total, order.tax_total = (
        Decimal("4.00"),
        Decimal("2.00"),
        Decimal("1.00"),
    )
    order.total = order.subtotal - order.discount_total + order.shipping_total + order.tax_total
    order.save()
    pay(order)
    invoice = posted(Invoice.objects.get(order=order))
    paid_invoice()  # a draft: not exported

    response = store_admin_client.get(reverse("invoicing:export"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="posted-invoices.csv"'
    rows = read_csv(response)
    assert tuple(rows[0]) == HEADER
    day = timezone.localdate().isoformat()
    head = [invoice.display_number, "Invoice", day, day, "Walk-in Customers", ""]
    assert rows[1:] == [
        [*head, "BOOK-1", "'=HYPERLINK(1)", "2", "10.00", "1.00", "0.50", "19.00", "USD"],
        [*head, "BOOK-2", "Atlas", "1", "7.00", "0.00", "0.30", "7.00", "USD"],
        [*head, "", "Shipping", "", "", "", "0.00", "4.00", "USD"],
        [*head, "", "Order discount", "", "", "", "0.00", "-2.00", "USD"],
        [*head, "", "Tax not on the lines", "", "", "", "0.20", "0.00", "USD"],
    ]
    # The rows add up to the invoice.
    assert sum(Decimal(r[11]) + Decimal(r[12]) for r in rows[1:]) == invoice.total


def test_export_includes_credit_notes_negative(store_admin_client, anonymous_profile):
    invoice = posted(paid_invoice(lines=1))
    roll_back(invoice.order)
    rows = read_csv(store_admin_client.get(reverse("invoicing:export")))[1:]
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    totals = {}
    for row in rows:
        totals[row[0]] = totals.get(row[0], 0) + Decimal(row[11]) + Decimal(row[12])
    assert totals == {invoice.display_number: invoice.total, note.display_number: -invoice.total}
    assert [r[8] for r in rows if r[0] == note.display_number and r[6]] == ["-1"]


def test_export_filters_by_posted_day(store_admin_client, anonymous_profile):
    old = paid_invoice(lines=1)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=40)):
        posted(old)
    new = posted(paid_invoice(lines=1))
    start = (timezone.localdate() - timedelta(days=1)).isoformat()
    rows = read_csv(store_admin_client.get(reverse("invoicing:export"), {"posted_from": start}))
    assert {r[0] for r in rows[1:]} == {new.display_number}
    response = store_admin_client.get(
        reverse("invoicing:export"), {"posted_from": start, "posted_to": "2000-01-01"}, follow=True
    )
    assert messages_of(response) == ["The end date is before the start date."]


def test_export_streams_lazily(anonymous_profile, django_assert_num_queries):
    posted(paid_invoice())
    chunks = export_csv(posted_from=None, posted_to=None)
    with django_assert_num_queries(0):
        header = next(chunks)
    assert header.startswith("\ufeffInvoice number,".encode())
    assert len(b"".join(chunks).splitlines()) == 3  # two lines and the shipping


# ---- The order page's panel ------------------------------------------------------------------


def test_order_page_shows_the_invoices_panel(staff_client, anonymous_profile):
    invoice = posted(paid_invoice())
    roll_back(invoice.order)
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    html = staff_client.get(invoice.order.get_absolute_url()).content.decode()
    assert 'id="order-invoices"' in html
    for document in (invoice, note):
        assert f'href="{detail_url(document)}"' in html
        assert f'href="{reverse("invoicing:pdf", kwargs={"number": document.number})}"' in html
    assert "Credit note" in html


def test_order_page_of_an_unpaid_order_has_no_invoices_panel(staff_client):
    order = order_of()
    html = staff_client.get(order.get_absolute_url()).content.decode()
    assert 'id="order-invoices"' not in html


# ---- Who may do what ------------------------------------------------------------------------

LOGIN, OK, REDIRECT, FORBIDDEN = "login", 200, 302, 403
ROUTES = {
    "list": ("get", lambda i: LIST),
    "detail": ("get", detail_url),
    "pdf": ("get", lambda i: reverse("invoicing:pdf", kwargs={"number": i.number})),
    "move": ("post", lambda i: reverse("invoicing:move", kwargs={"number": i.number})),
    "post": ("post", lambda i: reverse("invoicing:post", kwargs={"number": i.number})),
    "batch post": ("post", lambda i: reverse("invoicing:post_batch")),
    "export": ("get", lambda i: reverse("invoicing:export")),
}
EXPECTED = {
    #              anonymous, staff,     admin
    "list": (LOGIN, OK, OK),
    "detail": (LOGIN, OK, OK),
    "pdf": (LOGIN, OK, OK),
    "move": (LOGIN, REDIRECT, REDIRECT),
    "post": (LOGIN, FORBIDDEN, REDIRECT),
    "batch post": (LOGIN, FORBIDDEN, REDIRECT),
    "export": (LOGIN, FORBIDDEN, OK),
}
ROLES = ("anonymous", "staff", "admin")


@pytest.mark.parametrize(
    ("route", "role", "expected"),
    [
        pytest.param(route, role, EXPECTED[route][i], id=f"{route}-{role}")
        for route in ROUTES
        for i, role in enumerate(ROLES)
    ],
)
def test_permission_matrix(client, anonymous_profile, route, role, expected):
    invoice = paid_invoice()
    target = ProfileFactory()
    if role != "anonymous":
        client.force_login(UserFactory(role=role))
    method, url = ROUTES[route]
    url = url(invoice)
    data = {"profile": target.pk, "up_to": timezone.localdate().isoformat()}
    response = getattr(client, method)(url, data if method == "post" else {})
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"
    else:
        assert response.status_code == expected


def test_forbidden_writes_change_nothing(client, anonymous_profile):
    invoice = paid_invoice()
    client.force_login(UserFactory(role="staff"))
    client.post(reverse("invoicing:post", kwargs={"number": invoice.number}))
    client.post(reverse("invoicing:post_batch"), {"up_to": timezone.localdate().isoformat()})
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DRAFT

    nobody = UserFactory()  # logged in, but with no role
    nobody.save()
    client.force_login(nobody)
    assert client.get(LIST).status_code == 403
    assert client.get(detail_url(invoice)).status_code == 403
    response = client.post(
        reverse("invoicing:move", kwargs={"number": invoice.number}),
        {"profile": ProfileFactory().pk},
    )
    assert response.status_code == 403
    invoice.refresh_from_db()
    assert invoice.profile == anonymous_profile


@pytest.mark.parametrize("name", ["move", "post"])
def test_writes_do_not_answer_get(store_admin_client, anonymous_profile, name):
    invoice = paid_invoice()
    url = reverse(f"invoicing:{name}", kwargs={"number": invoice.number})
    assert store_admin_client.get(url).status_code == 405


def test_numbers_past_a_million_keep_every_digit(store_admin_client, anonymous_profile):
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('invoicing_invoice_number_seq', 1234566)")
    invoice = posted(paid_invoice(lines=1))
    assert invoice.display_number == "INV-1234567"
    rows = read_csv(store_admin_client.get(reverse("invoicing:export")))
    assert {r[0] for r in rows[1:]} == {"INV-1234567"}
    with (
        pytest.raises(IntegrityError, match="Invoice INV-1234567 is posted"),
        transaction.atomic(),
    ):
        Invoice.objects.filter(pk=invoice.pk).update(total=0)


# ---- Line totals and the invoice's totals -------------------------------------------------------


class _Cells(HTMLParser):
    """The text of each row of the invoice's lines table and of its amounts list."""

    def __init__(self):
        super().__init__()
        self.rows, self.amounts, self._cell, self._in = [], [], None, None

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if tag == "table" and "lines-grid" in classes:
            self._in = "table"
        elif tag == "dl" and "amounts" in classes:
            self._in = "amounts"
        elif self._in == "table" and tag == "tr":
            self.rows.append([])
        elif (self._in == "table" and tag in ("th", "td")) or (
            self._in == "amounts" and tag in ("dt", "dd")
        ):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("table", "dl"):
            self._in = None
        elif self._cell is not None and tag in ("th", "td", "dt", "dd"):
            text = " ".join("".join(self._cell).split())
            (self.rows[-1] if self._in == "table" else self.amounts).append(text)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _amount(text: str) -> Decimal:
    return Decimal(text.replace("$", "").replace(",", "").replace("−", "-"))


def _invoice_with_shipping_and_discount():
    order = order_of(lines=3)
    order.discount_total = Decimal("2.00")
    order.total -= order.discount_total
    order.save(update_fields=["discount_total", "total"])
    pay(order)
    return Invoice.objects.get(order=order)


def test_invoice_page_line_totals_add_up_to_the_subtotal_they_are_labelled_with(
    staff_client, anonymous_profile
):
    invoice = _invoice_with_shipping_and_discount()
    page = _Cells()
    page.feed(staff_client.get(detail_url(invoice)).content.decode())
    header, *rows = page.rows
    assert "Total" not in header, "a line column called just Total reads as including tax"
    column = header.index("Total excl. tax")
    footer = dict(zip(page.amounts[::2], page.amounts[1::2], strict=True))
    assert sum(_amount(row[column]) for row in rows) == _amount(footer["Subtotal excl. tax"])
    assert (
        _amount(footer["Subtotal excl. tax"])
        + _amount(footer["Discount"])
        + _amount(footer["Shipping"])
        + _amount(footer["Tax"])
        == _amount(footer["Total"])
        == invoice.total
    )


def test_invoice_pdf_labels_line_totals_and_subtotal_as_excluding_tax(anonymous_profile):
    invoice = _invoice_with_shipping_and_discount()
    loaded = invoice_detail(user=None, number=invoice.number)
    text = PdfReader(io.BytesIO(invoice_pdf_module.invoice_pdf(loaded))).pages[0].extract_text()
    lines = text.splitlines()
    assert "Total excl. tax" in text
    line_totals = sum((line.total for line in invoice.lines.all()), Decimal(0))
    assert f"Subtotal excl. tax {money_label(line_totals)}" in lines, lines
    assert f"Total {money_label(invoice.total)}" in lines, lines
