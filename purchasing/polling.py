"""Reading EDI vendors' outbound folders for 856 ship notices (beat runs it through
purchasing.tasks): each file is applied or refused (purchasing.asn), and an applied one is
moved aside to `processed/`. A refused file stays where it is, shown to staff. A poll cut off
anywhere leaves the file to be read again: applying is idempotent per vendor, name and content."""

import contextlib
import logging
import os
import posixpath
import stat
from collections import Counter

import paramiko

from catalog.models import Vendor

from .asn import ship_notice_apply
from .models import ShipNotice
from .transport import (
    HostKeyChanged,
    SftpSession,
    TransportError,
    local_folder,
    pin_host_key,
    refuse_changed_key,
    sftp_login,
)

logger = logging.getLogger(__name__)
PROCESSED = "processed"


def _poll_local(vendor: Vendor, counts: Counter) -> None:
    folder = local_folder(vendor, vendor.edi_outbound_dir)
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        record = ship_notice_apply(
            vendor_id=vendor.pk, file_name=path.name, content=path.read_bytes()
        )
        counts[record.status] += 1
        if record.status == ShipNotice.Status.APPLIED:
            (folder / PROCESSED).mkdir(exist_ok=True)
            os.replace(path, folder / PROCESSED / path.name)


def _poll_sftp(vendor: Vendor, counts: Counter) -> None:
    session = SftpSession(sftp_login(vendor), vendor.name)
    folder = vendor.edi_outbound_dir or "."
    try:
        with session:
            sftp = session.sftp
            try:
                entries = sorted(sftp.listdir_attr(folder), key=lambda e: e.filename)
            except (OSError, paramiko.SSHException, EOFError) as exc:
                raise TransportError(f"Listing {folder} failed: {exc}.") from exc
            for entry in entries:
                if not stat.S_ISREG(entry.st_mode or 0) or entry.filename.startswith("."):
                    continue
                source = posixpath.join(folder, entry.filename)
                try:
                    with sftp.open(source, "rb") as handle:
                        content = handle.read()
                except (OSError, paramiko.SSHException, EOFError) as exc:
                    raise TransportError(f"Reading {source} failed: {exc}.") from exc
                record = ship_notice_apply(
                    vendor_id=vendor.pk, file_name=entry.filename, content=content
                )
                counts[record.status] += 1
                if record.status == ShipNotice.Status.APPLIED:
                    try:
                        with contextlib.suppress(OSError):  # it exists
                            sftp.mkdir(posixpath.join(folder, PROCESSED))
                        sftp.posix_rename(source, posixpath.join(folder, PROCESSED, entry.filename))
                    except (OSError, paramiko.SSHException, EOFError) as exc:
                        raise TransportError(f"Moving {source} aside failed: {exc}.") from exc
    except HostKeyChanged:
        refuse_changed_key(vendor, session.seen_key)
        raise
    pin_host_key(vendor, session.seen_key)


def ship_notices_poll(*, vendor_id: int) -> Counter:
    """Read the vendor's outbound folder once: how many notices were applied and refused.
    Raises TransportError when the folder cannot be read (the next poll tries again)."""
    vendor = Vendor.objects.get(pk=vendor_id)
    counts: Counter = Counter()
    if vendor.edi_transport == Vendor.Transport.SFTP:
        _poll_sftp(vendor, counts)
    else:
        _poll_local(vendor, counts)
    return counts


def ship_notices_poll_all() -> Counter:
    """Every active EDI vendor's folder; one vendor's failure is logged, not the others'."""
    total: Counter = Counter()
    vendors = Vendor.objects.filter(is_active=True, po_method=Vendor.PoMethod.EDI)
    for vendor_id in vendors.values_list("pk", flat=True):
        try:
            total.update(ship_notices_poll(vendor_id=vendor_id))
        except TransportError:
            logger.warning("Polling vendor %s for ship notices failed", vendor_id, exc_info=True)
    return total
