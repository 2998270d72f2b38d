"""EDI over SFTP against a real SFTP server (paramiko's server interface, on a spare port)."""

import paramiko
import pytest

from catalog.models import Vendor
from notifications.models import OutboxMessage
from notifications.services import FAILED, RETRY, SENT, outbox_deliver, outbox_retry
from orders.actors import Actor
from orders.models import OrderStatus
from payments import crypto
from purchasing.services import po_create_for_order, vendor_host_key_accept
from purchasing.transport import TransportError, fingerprint, sftp_test
from tests.factories import order_with_lines
from tests.notifications.conftest import free_port

from .conftest import edi_vendor, supplied_line
from .sftp_server import SftpServer

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("Test")
HOST_KEY = paramiko.RSAKey.generate(2048)


@pytest.fixture
def server(tmp_path):
    (tmp_path / "in").mkdir()
    running = SftpServer(tmp_path, HOST_KEY).start()
    yield running
    running.stop()


def sftp_vendor(server, password=None, **fields):
    return edi_vendor(
        edi_transport=Vendor.Transport.SFTP,
        sftp_host="127.0.0.1",
        sftp_port=server.port,
        sftp_username=server.username,
        sftp_secret=crypto.encrypt({"password": password or server.password}),
        edi_inbound_dir="/in",
        **fields,
    )


def send(vendor):
    order = order_with_lines(lines=0, status=OrderStatus.PAID)
    line = supplied_line(order, vendor, quantity=2)
    [po] = po_create_for_order(
        order_id=order.pk, choices={line.pk: vendor.pk}, send=True, actor=ACTOR
    )
    message = OutboxMessage.objects.get(order=order, subject_key=po.label)
    return po, message


def test_an_850_is_uploaded_once_when_a_dropped_connection_makes_the_worker_retry(server):
    vendor = sftp_vendor(server)
    po, message = send(vendor)
    server.drop_after_rename = 1  # the file lands, the acknowledgement does not
    assert outbox_deliver(message_id=message.pk) == RETRY
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.next_attempt_at)
    assert outbox_deliver(message_id=message.pk) == SENT
    files = sorted(p.name for p in (server.root / "in").iterdir())
    po.refresh_from_db()
    assert files == [f"PO{po.number}_{po.edi_control_number:09d}.850"]
    assert server.renames == 2
    assert (server.root / "in" / files[0]).read_text().startswith("ISA*")


def test_the_host_key_is_pinned_and_a_changed_key_refuses_transfers(server, tmp_path):
    vendor = sftp_vendor(server)
    assert "Connected to 127.0.0.1" in sftp_test(vendor)
    vendor.refresh_from_db()
    assert vendor.sftp_host_key.startswith("ssh-rsa ")
    server.host_key = paramiko.RSAKey.generate(2048)  # the server (or someone) changed its key
    _, message = send(vendor)
    assert outbox_deliver(message_id=message.pk) == FAILED
    message.refresh_from_db()
    assert "presented a different host key" in message.last_error
    assert list((server.root / "in").iterdir()) == []
    vendor.refresh_from_db()
    assert fingerprint(vendor.sftp_host_key_seen) != fingerprint(vendor.sftp_host_key)

    # A store admin compares the fingerprint with the vendor's and accepts it; staff retry.
    vendor_host_key_accept(vendor_id=vendor.pk)
    outbox_retry(message_id=message.pk, actor=ACTOR)
    assert outbox_deliver(message_id=message.pk) == SENT
    assert len(list((server.root / "in").iterdir())) == 1


def test_a_wrong_password_says_the_login_was_refused(server):
    vendor = sftp_vendor(server, password="wrong")
    with pytest.raises(TransportError, match="refused the login of “store”"):
        sftp_test(vendor)


def test_an_unreachable_server_says_so(server):
    vendor = sftp_vendor(server)
    vendor.sftp_port = free_port()  # nothing listens there
    with pytest.raises(TransportError, match=r"Cannot reach the SFTP server 127\.0\.0\.1"):
        sftp_test(vendor)
