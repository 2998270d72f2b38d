"""Putting a file in an EDI vendor's inbound folder: a local folder (an AS2/VAN client on this
host picks it up) or the vendor's SFTP server.

A file is written under a temporary name and renamed into place, so the vendor never reads half
a file and a retried upload of the same name replaces the file instead of adding one. SFTP
checks the server's host key against the one pinned at the first successful connection: a
different key refuses every transfer (HostKeyChanged) until a store admin accepts it.
"""

import base64
import contextlib
import hashlib
import io
import os
import posixpath
import socket
from dataclasses import dataclass
from pathlib import Path

import paramiko
from django.conf import settings

from catalog.models import Vendor
from payments import crypto


class TransportError(Exception):
    """The file could not be put there; the message says what failed. `permanent`: retrying
    will not help until someone changes the vendor's settings."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class HostKeyChanged(TransportError):
    def __init__(self, message: str):
        super().__init__(message, permanent=True)


def local_folder(vendor: Vendor, folder: str) -> Path:
    """`folder` of a local-folder vendor, which must stay under PURCHASING_EDI_ROOT."""
    root = Path(settings.PURCHASING_EDI_ROOT).resolve()
    path = (root / folder).resolve()
    if path != root and root not in path.parents:
        raise TransportError(
            f"{vendor.name}'s folder “{folder}” is outside the EDI folder {root}.", permanent=True
        )
    return path


def _put_local(vendor: Vendor, name: str, content: bytes) -> str:
    folder = local_folder(vendor, vendor.edi_inbound_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{name}.part"
        temporary.write_bytes(content)
        os.replace(temporary, folder / name)
    except OSError as exc:
        raise TransportError(f"Writing {folder / name} failed: {exc.strerror or exc}.") from exc
    return str(folder / name)


def key_text(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.get_base64()}"


def fingerprint(key_line: str) -> str:
    """SHA256:… as `ssh-keygen -l` shows it, for the admin to compare with the vendor's."""
    blob = base64.b64decode(key_line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


@dataclass(frozen=True)
class SftpLogin:
    host: str
    port: int
    username: str
    password: str
    private_key: str
    pinned_key: str


def sftp_login(vendor: Vendor) -> SftpLogin:
    try:
        secret = crypto.decrypt(vendor.sftp_secret)
    except ValueError as exc:
        raise TransportError(
            f"{vendor.name}'s SFTP password or key cannot be read: enter it again in "
            "Settings → Vendors.",
            permanent=True,
        ) from exc
    return SftpLogin(
        host=vendor.sftp_host,
        port=vendor.sftp_port,
        username=vendor.sftp_username,
        password=secret.get("password", ""),
        private_key=secret.get("private_key", ""),
        pinned_key=vendor.sftp_host_key,
    )


def _private_key(text: str) -> paramiko.PKey:
    try:
        return paramiko.PKey.from_private_key(io.StringIO(text))
    except (paramiko.SSHException, ValueError) as exc:
        raise TransportError(
            f"The SFTP private key cannot be read: {exc}.", permanent=True
        ) from exc


class SftpSession:
    """An open SFTP session to a vendor, host key checked: `with SftpSession(login) as s:`.
    `seen_key` is the server's key (to pin after a first successful login)."""

    def __init__(self, login: SftpLogin, vendor_name: str):
        self.login = login
        self.vendor_name = vendor_name
        self.transport: paramiko.Transport | None = None
        self.sftp: paramiko.SFTPClient | None = None
        self.seen_key = ""

    def __enter__(self) -> "SftpSession":
        login, timeout = self.login, settings.PURCHASING_SFTP_TIMEOUT
        where = f"{login.host}:{login.port}"
        try:
            sock = socket.create_connection((login.host, login.port), timeout=timeout)
        except OSError as exc:
            raise TransportError(
                f"Cannot reach the SFTP server {where}: {exc.strerror or exc}."
            ) from exc
        try:
            self.transport = paramiko.Transport(sock)
            self.transport.banner_timeout = self.transport.handshake_timeout = timeout
            self.transport.start_client(timeout=timeout)
            self.seen_key = key_text(self.transport.get_remote_server_key())
            if login.pinned_key and login.pinned_key != self.seen_key:
                raise HostKeyChanged(
                    f"The SFTP server {where} of {self.vendor_name} presented a different host "
                    f"key ({fingerprint(self.seen_key)}) from the one pinned "
                    f"({fingerprint(login.pinned_key)}): transfers are refused until a store "
                    "admin accepts the new key in Settings → Vendors."
                )
            if login.private_key:
                self.transport.auth_publickey(login.username, _private_key(login.private_key))
            else:
                self.transport.auth_password(login.username, login.password)
            self.sftp = paramiko.SFTPClient.from_transport(self.transport)
            self.sftp.get_channel().settimeout(timeout)
        except TransportError:
            self.close()
            raise
        except paramiko.AuthenticationException as exc:
            self.close()
            raise TransportError(
                f"The SFTP server {where} refused the login of “{login.username}”: check the "
                "user and its password or key.",
                permanent=True,
            ) from exc
        except (paramiko.SSHException, OSError, EOFError) as exc:
            self.close()
            raise TransportError(f"The SFTP connection to {where} failed: {exc}.") from exc
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def put(self, folder: str, name: str, content: bytes) -> str:
        target = posixpath.join(folder or ".", name)
        temporary = posixpath.join(folder or ".", f".{name}.part")
        try:
            with self.sftp.open(temporary, "wb") as handle:
                handle.write(content)
            try:
                self.sftp.posix_rename(temporary, target)
            except OSError:
                # No posix-rename@openssh.com: plain SFTP rename will not replace a file.
                with contextlib.suppress(OSError):
                    self.sftp.remove(target)
                self.sftp.rename(temporary, target)
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise TransportError(f"Uploading {target} failed: {exc}.") from exc
        return target


def pin_host_key(vendor: Vendor, seen_key: str) -> None:
    """Pin the key seen at a first successful connection (never replaces a pinned key)."""
    if seen_key and not vendor.sftp_host_key:
        Vendor.objects.filter(pk=vendor.pk, sftp_host_key="").update(sftp_host_key=seen_key)


def refuse_changed_key(vendor: Vendor, seen_key: str) -> None:
    Vendor.objects.filter(pk=vendor.pk).update(sftp_host_key_seen=seen_key)


def _put_sftp(vendor: Vendor, name: str, content: bytes) -> str:
    session = SftpSession(sftp_login(vendor), vendor.name)
    try:
        with session:
            target = session.put(vendor.edi_inbound_dir, name, content)
    except HostKeyChanged:
        refuse_changed_key(vendor, session.seen_key)
        raise
    pin_host_key(vendor, session.seen_key)
    return target


def put_inbound(vendor: Vendor, name: str, content: bytes) -> str:
    """Put `content` as `name` in the vendor's inbound folder; returns where it went."""
    if vendor.edi_transport == Vendor.Transport.SFTP:
        return _put_sftp(vendor, name, content)
    return _put_local(vendor, name, content)


def sftp_test(vendor: Vendor) -> str:
    """Log in to the vendor's SFTP server and list its inbound folder: what worked, or
    TransportError saying what failed. Pins the host key at the first success."""
    session = SftpSession(sftp_login(vendor), vendor.name)
    try:
        with session:
            try:
                session.sftp.listdir(vendor.edi_inbound_dir or ".")
            except OSError as exc:
                raise TransportError(
                    f"Logged in, but the inbound folder “{vendor.edi_inbound_dir}” cannot be "
                    f"read: {exc}."
                ) from exc
    except HostKeyChanged:
        refuse_changed_key(vendor, session.seen_key)
        raise
    pin_host_key(vendor, session.seen_key)
    return (
        f"Connected to {vendor.sftp_host}:{vendor.sftp_port} as {vendor.sftp_username} and read "
        f"the inbound folder. Host key {fingerprint(session.seen_key)}."
    )
