"""856 ship notices from EDI vendors, read from a local folder and from a real SFTP server,
applied whole or not at all, and never twice."""

import pytest

from orders.actors import Actor
from orders.models import OrderStatus
from purchasing.models import PurchaseOrder, ShipNotice
from purchasing.polling import ship_notices_poll
from purchasing.services import po_create_for_order
from purchasing.transport import TransportError
from shipping.models import Shipment
from tests.factories import order_with_lines

from .conftest import edi_vendor, supplied_line
from .sftp_server import SftpServer
from .test_sftp import HOST_KEY, sftp_vendor

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("Test")
UPS_OK = "1Z999AA10123456784"
UPS_BAD = "1Z999AA10123456785"


def isa() -> str:
    return (
        "ISA*00*          *00*          *01*084512345      *ZZ*BACKOFFICE     *261203*1200*U*"
        "00401*000000042*0*P*>~"
    )


def asn(*orders, scac="UPSN", tracking=UPS_OK) -> bytes:
    """An 856: one shipment (carrier, tracking) with, per (po, [(vendor sku, units)]), its items."""
    body = [
        "ST*856*0001",
        "BSN*00*SHIP1*20261203*1200",
        "HL*1**S",
        f"TD5**2*{scac}",
        f"REF*CN*{tracking}",
    ]
    hl = 1
    for po, items in orders:
        hl += 1
        body.append(f"HL*{hl}*1*O")
        body.append(f"PRF*{po.label}")
        for sku, units in items:
            hl += 1
            body += [f"HL*{hl}*{hl - 1}*I", f"LIN**VN*{sku}", f"SN1**{units}*EA"]
    body += [f"CTT*{hl}", f"SE*{len(body) + 2}*0001"]
    return (isa() + "\n" + "GS*SH*084512345*BACKOFFICE*20261203*1200*42*X*004010~\n"
            + "~\n".join(body) + "~\nGE*1*42~\nIEA*1*000000042~\n").encode()  # fmt: skip


def sent_po(vendor, *quantities):
    order = order_with_lines(lines=0, status=OrderStatus.PAID)
    lines = [
        supplied_line(order, vendor, quantity=q, sku=f"AT-{i}") for i, q in enumerate(quantities)
    ]
    [po] = po_create_for_order(
        order_id=order.pk, choices={line.pk: vendor.pk for line in lines}, send=True, actor=ACTOR
    )
    return po


@pytest.fixture
def outbound(settings, tmp_path):
    settings.PURCHASING_EDI_ROOT = tmp_path
    folder = tmp_path / "edison" / "outbound"
    folder.mkdir(parents=True)
    return folder


def local_vendor():
    return edi_vendor(edi_outbound_dir="edison/outbound")


def test_a_ship_notice_records_the_shipment_and_is_moved_aside(outbound):
    vendor = local_vendor()
    po = sent_po(vendor, 2, 1)
    (outbound / "asn1.856").write_bytes(asn((po, [("AT-0", 2)])))
    assert ship_notices_poll(vendor_id=vendor.pk) == {"applied": 1}
    shipment = Shipment.objects.get(order=po.order)
    assert [t.number for t in shipment.tracking_numbers.all()] == [UPS_OK]
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.PARTLY_SHIPPED
    assert not (outbound / "asn1.856").exists() and (outbound / "processed" / "asn1.856").exists()
    assert ship_notices_poll(vendor_id=vendor.pk) == {}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"hello, this is not EDI", "not an X12 file"),
        (isa().encode() + b"\nGS*SH*A*B*20261203*1200*1*X*004010~\nST*850*1~", "no 856"),
    ],
)
def test_a_malformed_notice_is_kept_and_shown_with_the_reason(outbound, content, reason):
    vendor = local_vendor()
    (outbound / "bad.856").write_bytes(content)
    assert ship_notices_poll(vendor_id=vendor.pk) == {"refused": 1}
    notice = ShipNotice.objects.get()
    assert reason in notice.reason
    assert (outbound / "bad.856").exists()


def test_a_notice_that_does_not_match_is_never_half_applied(outbound):
    vendor = local_vendor()
    first, second = sent_po(vendor, 1), sent_po(vendor, 1)
    (outbound / "two.856").write_bytes(asn((first, [("AT-0", 1)]), (second, [("NOPE", 1)])))
    assert ship_notices_poll(vendor_id=vendor.pk) == {"refused": 1}
    assert f"{second.label} has no line with the vendor SKU NOPE" in ShipNotice.objects.get().reason
    assert not Shipment.objects.exists()
    assert (outbound / "two.856").exists()


def test_a_tracking_number_failing_its_check_refuses_the_notice(outbound):
    vendor = local_vendor()
    po = sent_po(vendor, 1)
    (outbound / "bad-number.856").write_bytes(asn((po, [("AT-0", 1)]), tracking=UPS_BAD))
    ship_notices_poll(vendor_id=vendor.pk)
    assert "check digit" in ShipNotice.objects.get().reason
    assert not Shipment.objects.exists()


def test_more_units_than_owed_are_refused(outbound):
    vendor = local_vendor()
    po = sent_po(vendor, 1)
    (outbound / "over.856").write_bytes(asn((po, [("AT-0", 5)])))
    ship_notices_poll(vendor_id=vendor.pk)
    assert "still owes 1 of 1, so 5 cannot ship" in ShipNotice.objects.get().reason


@pytest.fixture
def server(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    running = SftpServer(tmp_path, HOST_KEY).start()
    yield running
    running.stop()


def test_a_poll_cut_off_over_sftp_reads_the_notice_again_and_applies_it_once(server):
    vendor = sftp_vendor(server, edi_outbound_dir="/out")
    po = sent_po(vendor, 1)
    (server.root / "out" / "asn.856").write_bytes(asn((po, [("AT-0", 1)])))
    server.drop_before_rename = 1  # applied, then the connection drops before the move
    with pytest.raises(TransportError):
        ship_notices_poll(vendor_id=vendor.pk)
    assert (server.root / "out" / "asn.856").exists()
    assert ship_notices_poll(vendor_id=vendor.pk) == {"applied": 1}
    assert Shipment.objects.filter(order=po.order).count() == 1
    assert (server.root / "out" / "processed" / "asn.856").exists()


def test_staff_see_the_notices_that_were_not_applied_and_why(outbound, staff_client):
    from django.urls import reverse

    vendor = local_vendor()
    (outbound / "garbage.856").write_bytes(b"not edi")
    ship_notices_poll(vendor_id=vendor.pk)
    html = staff_client.get(reverse("purchasing:list")).content.decode()
    assert "Ship notices not applied" in html
    assert "garbage.856" in html and "not an X12 file" in html
