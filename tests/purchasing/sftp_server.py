"""A real SFTP server for the tests (paramiko's server interface) serving a local folder, with
password login, on a spare port, and a switch that drops the connection right after a rename
(the file is in place but the client never hears so: it must retry), or right before one
(nothing moved: the client must read the file again)."""

import os
import socket
import threading
from pathlib import Path

import paramiko
from paramiko.sftp import SFTP_FAILURE, SFTP_OK


class _Auth(paramiko.ServerInterface):
    def __init__(self, server: "SftpServer"):
        self.server = server

    def check_auth_password(self, username, password):
        if (username, password) == (self.server.username, self.server.password):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def get_allowed_auths(self, username):
        return "password"

    def check_channel_request(self, kind, chanid):
        return (
            paramiko.OPEN_SUCCEEDED
            if kind == "session"
            else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        )


class _Handle(paramiko.SFTPHandle):
    def stat(self):
        return paramiko.SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))


def _sftp_interface(server: "SftpServer"):
    root = server.root

    class Folder(paramiko.SFTPServerInterface):
        def _path(self, path):
            return str(root / path.lstrip("/"))

        def list_folder(self, path):
            try:
                return [
                    paramiko.SFTPAttributes.from_stat(os.stat(os.path.join(self._path(path), n)), n)
                    for n in os.listdir(self._path(path))
                ]
            except OSError as exc:
                return paramiko.SFTPServer.convert_errno(exc.errno)

        def stat(self, path):
            try:
                return paramiko.SFTPAttributes.from_stat(os.stat(self._path(path)))
            except OSError as exc:
                return paramiko.SFTPServer.convert_errno(exc.errno)

        lstat = stat

        def open(self, path, flags, attr):
            try:
                fd = os.open(self._path(path), flags, 0o644)
                handle = _Handle(flags)
                handle.readfile = handle.writefile = os.fdopen(
                    fd, "r+b" if flags & os.O_RDWR else ("wb" if flags & os.O_WRONLY else "rb")
                )
                return handle
            except OSError as exc:
                return paramiko.SFTPServer.convert_errno(exc.errno)

        def mkdir(self, path, attr):
            try:
                os.mkdir(self._path(path))
            except OSError as exc:
                return paramiko.SFTPServer.convert_errno(exc.errno)
            return SFTP_OK

        def remove(self, path):
            try:
                os.remove(self._path(path))
            except OSError as exc:
                return paramiko.SFTPServer.convert_errno(exc.errno)
            return SFTP_OK

        def posix_rename(self, oldpath, newpath):
            if server.drop_before_rename > 0:
                server.drop_before_rename -= 1
                for transport in server.transports:
                    transport.close()
                return SFTP_FAILURE
            try:
                os.replace(self._path(oldpath), self._path(newpath))
            except OSError:
                return SFTP_FAILURE
            server.renames += 1
            if server.drop_after_rename > 0:
                server.drop_after_rename -= 1
                for transport in server.transports:
                    transport.close()
            return SFTP_OK

        def rename(self, oldpath, newpath):
            return self.posix_rename(oldpath, newpath)

        def canonicalize(self, path):
            return "/" + path.lstrip("/")

    return Folder


class SftpServer:
    def __init__(self, root: Path, host_key: paramiko.PKey | None = None):
        self.root = root
        self.host_key = host_key or paramiko.RSAKey.generate(2048)
        self.username, self.password = "store", "s3cret-pass"
        self.drop_after_rename = 0
        self.drop_before_rename = 0
        self.renames = 0
        self.transports: list[paramiko.Transport] = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _serve(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.host_key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, _sftp_interface(self))
            self.transports.append(transport)
            try:
                transport.start_server(server=_Auth(self))
            except (paramiko.SSHException, EOFError, OSError):
                transport.close()

    def stop(self):
        self.stopped.set()
        self.sock.close()
        for transport in self.transports:
            transport.close()
