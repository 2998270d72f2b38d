"""A PO's send through the outbox and the worker: the vendor's email (a real SMTP server) or
the 850 in its inbound folder, read back by pyx12's X12 reader (not our writer)."""

import io

import pytest
from pyx12.x12file import X12Reader

from notifications.models import OutboxMessage
from notifications.services import FAILED, NOT_CLAIMED, RETRY, SENT, outbox_deliver
from orders.actors import Actor
from orders.models import OrderEvent, OrderStatus
from purchasing.models import PurchaseOrder
from purchasing.services import po_cancel, po_create_for_order
from tests.factories import order_with_lines

from .conftest import edi_vendor, email_vendor, supplied_line

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("Test")


@pytest.fixture
def edi_root(settings, tmp_path):
    settings.PURCHASING_EDI_ROOT = tmp_path
    return tmp_path


def create_and_send(vendor, *quantities):
    order = order_with_lines(lines=0, status=OrderStatus.PAID)
    lines = [
        supplied_line(order, vendor, quantity=q, sku=f"ED-{i}") for i, q in enumerate(quantities)
    ]
    [po] = po_create_for_order(
        order_id=order.pk, choices={line.pk: vendor.pk for line in lines}, send=True, actor=ACTOR
    )
    return po


def outbox_row(po, kind=OutboxMessage.Kind.PURCHASE_ORDER):
    return OutboxMessage.objects.get(order=po.order, kind=kind, subject_key=po.label)


def read_x12(text: str) -> tuple[list[tuple[str, list[str]]], list]:
    reader = X12Reader(io.StringIO(text))
    segments = [
        (seg.get_seg_id(), [seg.get_value(f"{seg.get_seg_id()}{i:02d}") or "" for i in range(1, 3)])
        for seg in reader
    ]
    errors = list(reader.pop_errors())
    return segments, errors


def test_an_email_vendor_gets_one_message_with_the_pdf_and_the_csv(
    smtp, handed, django_capture_on_commit_callbacks
):
    vendor = email_vendor(name="Acme Supply", po_emails=["orders@acme.example", "ops@acme.example"])
    with django_capture_on_commit_callbacks(execute=True):
        po = create_and_send(vendor, 2, 1)
    message = outbox_row(po)
    assert handed == [message.pk]  # handed to the worker after commit
    assert po.order.events.filter(
        kind=OrderEvent.Kind.EMAIL,
        message__contains=f"Purchase order {po.label} queued to orders@acme.example",
    ).exists()

    assert outbox_deliver(message_id=message.pk) == SENT
    assert outbox_deliver(message_id=message.pk) == NOT_CLAIMED
    [received] = smtp.messages
    assert po.label in received["Subject"]
    attachments = {part.get_filename(): part for part in received.walk() if part.get_filename()}
    assert set(attachments) == {f"{po.label}.pdf", f"{po.label}.csv"}
    assert attachments[f"{po.label}.pdf"].get_payload(decode=True).startswith(b"%PDF")
    csv_text = attachments[f"{po.label}.csv"].get_payload(decode=True).decode()
    assert csv_text.count("\n") == 3 and "ED-0" in csv_text
    po.refresh_from_db()
    assert po.transmitted_at is not None
    assert po.order.events.filter(
        message=f"Purchase order {po.label} sent to orders@acme.example."
    ).exists()


def test_a_refusing_mail_server_leaves_the_po_waiting_for_a_retry(smtp):
    vendor = email_vendor()
    po = create_and_send(vendor, 1)
    smtp.refuse = 1
    assert outbox_deliver(message_id=outbox_row(po).pk) == RETRY
    po.refresh_from_db()
    assert po.transmitted_at is None
    assert outbox_row(po).status == OutboxMessage.Status.PENDING


def test_an_edi_vendor_gets_an_850_a_third_party_reader_accepts(edi_root):
    vendor = edi_vendor()
    po = create_and_send(vendor, 2, 3)
    assert outbox_deliver(message_id=outbox_row(po).pk) == SENT
    [path] = (edi_root / "edison" / "inbound").iterdir()
    po.refresh_from_db()
    assert path.name == f"PO{po.number}_{po.edi_control_number:09d}.850"
    segments, errors = read_x12(path.read_text())
    assert errors == []
    ids = [seg_id for seg_id, _ in segments]
    assert ids == [
        "ISA",
        "GS",
        "ST",
        "BEG",
        "REF",
        "DTM",
        "N1",
        "N3",
        "N4",
        "PO1",
        "PO1",
        "CTT",
        "SE",
        "GE",
        "IEA",
    ]
    values = dict((seg_id, elements) for seg_id, elements in segments)
    assert values["BEG"] == ["00", "DS"]
    assert values["CTT"][0] == "2"
    assert values["SE"][0] == str(ids.index("SE") - ids.index("ST") + 1)
    assert int(values["GE"][1]) == int(values["IEA"][1]) == po.edi_control_number
    text = path.read_text()
    assert f"*{po.edi_control_number:09d}*0*P*>~" in text  # ISA13
    assert "*VN*ED-0*" in text and "*VN*ED-1*" in text


def test_control_numbers_grow_per_vendor_and_a_cancellation_is_purpose_01(edi_root):
    vendor = edi_vendor()
    first, second = create_and_send(vendor, 1), create_and_send(vendor, 1)
    assert second.edi_control_number == first.edi_control_number + 1
    po_cancel(purchase_order_id=first.pk, actor=ACTOR)
    first.refresh_from_db()
    assert first.edi_cancel_control_number == second.edi_control_number + 1
    message = outbox_row(first, OutboxMessage.Kind.PURCHASE_ORDER_CANCEL)
    assert outbox_deliver(message_id=message.pk) == SENT
    path = (
        edi_root
        / "edison"
        / "inbound"
        / f"PO{first.number}_{first.edi_cancel_control_number:09d}_cancel.850"
    )
    segments, errors = read_x12(path.read_text())
    assert errors == []
    assert dict(segments)["BEG"] == ["01", "DS"]


def test_a_retried_upload_replaces_the_file(edi_root):
    vendor = edi_vendor()
    po = create_and_send(vendor, 1)
    message = outbox_row(po)
    assert outbox_deliver(message_id=message.pk) == SENT
    # Staff's retry after a lost acknowledgement: the same 850 goes again, under the same name.
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.PENDING)
    assert outbox_deliver(message_id=message.pk) == SENT
    assert [p.name for p in (edi_root / "edison" / "inbound").iterdir()] == [
        f"PO{po.number}_{po.edi_control_number:09d}.850"
    ]


def test_an_unwritable_folder_is_retried_and_named_in_the_timeline(edi_root):
    (edi_root / "edison").mkdir()
    (edi_root / "edison" / "inbound").write_text("a file, not a folder")
    po = create_and_send(edi_vendor(), 1)
    assert outbox_deliver(message_id=outbox_row(po).pk) == RETRY
    event = po.order.events.filter(kind=OrderEvent.Kind.EMAIL).latest("pk")
    assert "not sent yet (attempt 1)" in event.message and "inbound" in event.message


def test_a_folder_outside_the_edi_root_fails_for_staff(edi_root):
    po = create_and_send(edi_vendor(edi_inbound_dir="../../etc"), 1)
    assert outbox_deliver(message_id=outbox_row(po).pk) == FAILED
    assert "outside the EDI folder" in outbox_row(po).last_error
    assert PurchaseOrder.objects.get(pk=po.pk).transmitted_at is None


def test_a_failed_po_send_shows_on_the_order_page_for_staff_to_retry(edi_root, staff_client):
    po = create_and_send(edi_vendor(edi_inbound_dir="../../etc"), 1)
    assert outbox_deliver(message_id=outbox_row(po).pk) == FAILED
    html = staff_client.get(po.order.get_absolute_url()).content.decode()
    panel = html[html.index('id="order-emails"') :]
    assert f"Purchase order {po.label}</strong> to the vendor's EDI inbound folder" in panel
    assert "outside the EDI folder" in panel and "Retry</button>" in panel
