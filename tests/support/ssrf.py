"""SSRF tests' tools: spellings of private targets, and a witness that counts connections.

:class:`CountingListener` is a TCP listener on loopback that counts the
connections it accepts.

It listens on 127.0.0.1 and, where the machine has IPv6, on ::1 with the same
port, so every spelling of loopback lands on it. Each connection gets an HTTP
200 whose body carries :data:`ANSWER`: were a refused target reached after
all, the answer would show up in what the API reports.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

ANSWER = b'{"id": "listener-answer-leaked"}'
_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
    % (
        len(ANSWER),
        ANSWER,
    )
)


class CountingListener:
    def __init__(self) -> None:
        self.accepted = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        first = socket.create_server(("127.0.0.1", 0))
        self.port = first.getsockname()[1]
        self._sockets.append(first)
        with contextlib.suppress(OSError):  # no IPv6 loopback here
            self._sockets.append(socket.create_server(("::1", self.port), family=socket.AF_INET6))
        for sock in self._sockets:
            sock.settimeout(0.1)
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._serve, args=(s,), daemon=True) for s in self._sockets]

    def __enter__(self) -> CountingListener:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(2)
        for sock in self._sockets:
            sock.close()

    def _serve(self, server: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
            with conn:
                try:
                    conn.settimeout(1)
                    conn.recv(65536)
                    conn.sendall(_RESPONSE)
                except OSError:
                    pass


def closed_port() -> int:
    """A loopback port nothing listens on (to show a closed port looks the same as an open one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hosts_file_loopback_name() -> str | None:
    """A name other than localhost that /etc/hosts maps to a loopback address (a DNS
    name resolving to loopback, as a rebinding attacker's name would), if there is one."""
    try:
        lines = Path("/etc/hosts").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and (fields[0].startswith("127.") or fields[0] == "::1"):
            for name in fields[1:]:
                if "localhost" not in name.lower():
                    try:
                        resolved = {info[4][0] for info in socket.getaddrinfo(name, 443, type=socket.SOCK_STREAM)}
                    except OSError:
                        continue
                    if resolved and all(a.startswith("127.") or a == "::1" for a in resolved):
                        return name
    return None


#: the one error of every refused target (the API shows it as it is)
REFUSED = "target refused: not a public https address"

#: spellings of loopback and private addresses; {port} is the listener's
PRIVATE_URLS = [
    "https://127.0.0.1:{port}/x",
    "https://localhost:{port}/x",
    "https://localhost.:{port}/x",
    "https://LOCALHOST:{port}/x",
    "https://LocalHost.:{port}/x",
    "https://api.localhost:{port}/x",
    "https://%31%32%37.0.0.1:{port}/x",  # percent-encoded
    "https://%6c%6f%63%61%6c%68%6f%73%74:{port}/x",  # percent-encoded "localhost"
    "https://2130706433:{port}/x",  # one decimal number
    "https://0x7f000001:{port}/x",  # one hex number
    "https://0x7f.0.0.1:{port}/x",
    "https://0177.0.0.1:{port}/x",  # octal
    "https://0177.0.0.01:{port}/x",
    "https://127.1:{port}/x",  # short form
    "https://127.0.1:{port}/x",
    "https://[::1]:{port}/x",
    "https://[::ffff:127.0.0.1]:{port}/x",  # IPv4-mapped IPv6
    "https://[::ffff:7f00:1]:{port}/x",
    "https://[0:0:0:0:0:ffff:7f00:1]:{port}/x",
    "https://[::]:{port}/x",
    "https://0.0.0.0:{port}/x",
    "https://0:{port}/x",
    "https://10.0.0.5:{port}/x",
    "https://172.16.3.4:{port}/x",
    "https://192.168.1.1:{port}/x",
    "https://169.254.169.254/latest/meta-data",  # the cloud metadata service
    "https://[fd00::1]:{port}/x",
    "https://[fe80::1%25lo]:{port}/x",
    "https://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54:{port}/x",  # full-width "localhost" (IDNA maps it)
    "https://\uff11\uff12\uff17\u3002\uff10\u3002\uff10\u3002\uff11:{port}/x",  # full-width 127.0.0.1, ideographic dots
    "https://127\u30020\u30020\u30021:{port}/x",
    "https://\u24dbocalhost:{port}/x",  # circled l
    "http://127.0.0.1:{port}/x",  # plain http, loopback
    "http://93.184.216.34/x",  # plain http, even to a public address
]
_NAME = hosts_file_loopback_name()
if _NAME:  # a DNS name that resolves to loopback (from /etc/hosts)
    PRIVATE_URLS += [f"https://{_NAME}:{{port}}/x", f"https://{_NAME.upper()}.:{{port}}/x"]


def urls(port: int) -> list[str]:
    return [template.format(port=port) for template in PRIVATE_URLS]


class TLSListener:
    """An HTTPS listener on 127.0.0.1 with a self-signed certificate (valid for that address, signed
    by no CA anyone trusts): it counts the TLS handshakes that failed and the requests that got through."""

    def __init__(self) -> None:
        import ssl
        import tempfile

        self.handshakes_failed = 0
        self.requests = 0
        #: set once a connection was handled (the client may see its failure first)
        self.handled = threading.Event()
        self._lock = threading.Lock()
        with tempfile.TemporaryDirectory() as scratch:
            cert, key = _self_signed(Path(scratch))
            self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._context.load_cert_chain(cert, key)
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self.port = self._socket.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TLSListener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._thread.join(2)
        self._socket.close()

    def _serve(self) -> None:
        import ssl

        while not self._stopping.is_set():
            try:
                conn, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(2)
            try:
                with self._context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(65536)
                    with self._lock:
                        self.requests += 1
                    tls.sendall(_RESPONSE)
            except (ssl.SSLError, OSError):
                with self._lock:
                    self.handshakes_failed += 1
            self.handled.set()


def _self_signed(directory: Path) -> tuple[Path, Path]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path
