"""Backends that fail in the real ways.

A backend is started before the proxy and publishes names into the template
context (``{{NAME_port}}``, ``{{NAME_host}}``, ``{{NAME_addr}}``,
``{{NAME_path}}``) that the proxy configuration fragments use.

Listeners run in threads of the lab process; what a connection gets is a
*behaviour*: a callable ``behaviour(conn, stop_event)``. Add new failure modes
by writing another behaviour (or backend class) and naming it in a scenario.
"""

import os
import re
import socket
import ssl
import struct
import threading
import time

from .util import LOOPBACK, LabError, check_loopback, free_port

# --------------------------------------------------------------------------
# Reading requests

_REQUEST_START = re.compile(rb"[A-Z]{1,16}(?: |$)")

BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\n"
    b"Content-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\n"
    b"Bad Request\n"
)


class NotHttp(Exception):
    """The peer sent something that is not an HTTP/1 request."""


def read_request(conn, stop, timeout=5.0, buf=b""):
    """Read one HTTP/1 request (head + Content-Length body).

    Returns (head, rest) or None on EOF. Raises NotHttp as soon as the first
    bytes cannot start a request line (a TLS ClientHello, a FastCGI record),
    which is when a real server answers 400.
    """
    conn.settimeout(0.2)
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in buf:
        if buf and not _REQUEST_START.match(buf[:17]):
            raise NotHttp(buf[:16])
        if stop.is_set() or time.monotonic() > deadline:
            return None
        try:
            chunk = conn.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionError, OSError):
            return None
        if not chunk:
            return None
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    need = int(m.group(1)) if m else 0
    while len(rest) < need and not stop.is_set() and time.monotonic() < deadline:
        try:
            chunk = conn.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionError, OSError):
            return None
        if not chunk:
            return None
        rest += chunk
    return head, rest[need:]


def sleep_unless(stop, seconds):
    """Sleep, but wake early when the lab is shutting down."""
    return stop.wait(seconds)


def send_all(conn, data):
    try:
        conn.sendall(data)
        return True
    except (ConnectionError, OSError):
        return False


def response(status=200, reason="OK", body=b"ok\n", headers=(), keepalive=True):
    lines = [f"HTTP/1.1 {status} {reason}".encode()]
    lines.append(b"Content-Type: text/plain")
    lines.append(f"Content-Length: {len(body)}".encode())
    lines.append(b"Connection: keep-alive" if keepalive else b"Connection: close")
    for h in headers:
        lines.append(h if isinstance(h, bytes) else h.encode("latin-1"))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def lingering_close(conn, stop, seconds=1.0):
    """Half-close and drain the peer's input before closing, as real servers do
    (closing with unread input would send RST and race with the peer's writes)."""
    try:
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        return
    conn.settimeout(0.1)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop.is_set():
        try:
            if not conn.recv(65536):
                return
        except socket.timeout:
            continue
        except OSError:
            return


def set_linger_zero(conn):
    raw = getattr(conn, "_sock", conn)
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


# --------------------------------------------------------------------------
# Behaviours: what one accepted connection gets.


class Behaviour:
    """Base: serve HTTP/1.1 with keep-alive; subclasses override `answer`."""

    def __call__(self, conn, stop):
        buf = b""
        while not stop.is_set():
            try:
                req = read_request(conn, stop, buf=buf)
            except NotHttp:
                send_all(conn, BAD_REQUEST)
                lingering_close(conn, stop)
                return
            if req is None:
                return
            head, buf = req
            if not self.answer(conn, stop, head):
                return

    def answer(self, conn, stop, head):
        """Send the answer; return True to keep the connection open."""
        raise NotImplementedError


class Respond(Behaviour):
    """A working HTTP server, optionally slow (`delay` seconds before answering)."""

    def __init__(self, status=200, reason="OK", body=b"ok\n", headers=(), delay=0.0):
        self.status, self.reason, self.body = status, reason, body
        self.headers, self.delay = tuple(headers), delay

    def answer(self, conn, stop, head):
        if self.delay and sleep_unless(stop, self.delay):
            return False
        return send_all(conn, response(self.status, self.reason, self.body, self.headers))


class ResetAfterRequest(Behaviour):
    """Read the request, then abort the connection with RST (SO_LINGER 0)."""

    def answer(self, conn, stop, head):
        set_linger_zero(conn)
        return False  # the caller closes: RST goes out


class CloseAfterRequest(Behaviour):
    """Read the request, then close cleanly (FIN) without answering."""

    def answer(self, conn, stop, head):
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return False


class RawAfterRequest(Behaviour):
    """Read the request, answer with the given raw bytes, close."""

    def __init__(self, data):
        self.data = data

    def answer(self, conn, stop, head):
        send_all(conn, self.data)
        lingering_close(conn, stop, 0.5)  # let the proxy read before the close
        return False


def big_headers(total=16384, each=2000):
    """Response header lines adding up to `total` bytes."""
    n = max(1, total // each)
    return [f"X-Lab-Big-{i}: " + "a" * each for i in range(n)]


# --------------------------------------------------------------------------
# Listeners


class Backend:
    name = "backend"

    def start(self, ctx):
        raise NotImplementedError

    def stop(self):
        pass


class _Served:
    """Accept loop + per-connection threads, shared by TCP and unix listeners."""

    def _serve(self, sock, behaviour, tls_ctx=None):
        self._stop = threading.Event()
        self._conns = []
        self._lock = threading.Lock()
        sock.settimeout(0.1)
        self._sock = sock

        def handle(conn):
            try:
                if tls_ctx is not None:
                    conn.settimeout(5)
                    try:
                        conn = tls_ctx.wrap_socket(conn, server_side=True)
                    except (ssl.SSLError, OSError) as e:
                        self.events.append(f"tls handshake failed: {e}")
                        return
                behaviour(conn, self._stop)
            except Exception as e:  # a behaviour bug must not kill the lab
                self.events.append(f"behaviour error: {e!r}")
            finally:
                try:
                    conn.close()
                except OSError:
                    pass

        def loop():
            while not self._stop.is_set():
                try:
                    conn, _ = sock.accept()
                except socket.timeout:
                    continue
                except OSError:
                    return
                with self._lock:
                    self._conns.append(conn)
                self.accepted += 1
                threading.Thread(target=handle, args=(conn,), daemon=True).start()

        self.events = []
        self.accepted = 0
        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self):
        if getattr(self, "_stop", None) is None:
            return
        self._stop.set()
        self._thread.join(timeout=2)
        try:
            self._sock.close()
        except OSError:
            pass
        with self._lock:
            for c in self._conns:
                try:
                    c.close()
                except OSError:
                    pass


class TCP(Backend, _Served):
    """A TCP listener on a loopback address.

    tls=True wraps connections with the lab's self-signed certificate.
    also_free_on: addresses on which the same port must be free (used to
    listen on 127.0.0.2 while the proxy targets 127.0.0.1:same port).
    """

    def __init__(self, name, behaviour, host=LOOPBACK, tls=False, also_free_on=(), backlog=64):
        self.name, self.behaviour, self.host = name, behaviour, check_loopback(host)
        self.tls, self.also_free_on, self.backlog = tls, tuple(also_free_on), backlog

    def start(self, ctx):
        port = free_port(self.host, self.also_free_on)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        sock.listen(self.backlog)
        tls_ctx = None
        if self.tls:
            tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls_ctx.load_cert_chain(ctx["tls_cert"], ctx["tls_key"])
        self._serve(sock, self.behaviour, tls_ctx)
        ctx[f"{self.name}_host"] = self.host
        ctx[f"{self.name}_port"] = port
        ctx[f"{self.name}_addr"] = f"{self.host}:{port}"


class Unix(Backend, _Served):
    """An HTTP server on a unix socket, file mode `mode`, owned by the lab user."""

    def __init__(self, name, behaviour, mode=0o666):
        self.name, self.behaviour, self.mode = name, behaviour, mode

    def start(self, ctx):
        path = os.path.join(ctx["dir"], f"{self.name}.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(path)
        os.chmod(path, self.mode)
        sock.listen(64)
        self._serve(sock, self.behaviour)
        ctx[f"{self.name}_path"] = path


class MissingSocket(Backend):
    """A unix socket path that does not exist (the app never created it)."""

    def __init__(self, name):
        self.name = name

    def start(self, ctx):
        path = os.path.join(ctx["dir"], f"{self.name}.sock")
        if os.path.exists(path):
            os.unlink(path)
        ctx[f"{self.name}_path"] = path


class DeadPort(Backend):
    """A loopback port where nothing listens (backend not running / wrong port)."""

    def __init__(self, name, host=LOOPBACK):
        self.name, self.host = name, check_loopback(host)

    def start(self, ctx):
        port = free_port(self.host)
        ctx[f"{self.name}_host"] = self.host
        ctx[f"{self.name}_port"] = port
        ctx[f"{self.name}_addr"] = f"{self.host}:{port}"


class Blackhole(Backend):
    """A listener that never accepts and whose accept queue is full.

    With listen(0) Linux queues one connection; once it is full, further SYNs
    are dropped (net.ipv4.tcp_abort_on_overflow=0), so a proxy's connect()
    gets no answer and times out: a firewall/dead host seen from the proxy.
    """

    def __init__(self, name, host=LOOPBACK):
        self.name, self.host = name, check_loopback(host)
        self._fillers = []
        self._sock = None

    def start(self, ctx):
        import select

        port = free_port(self.host)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((self.host, port))
        self._sock.listen(0)
        dropped = False
        for _ in range(16):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            c.connect_ex((self.host, port))
            self._fillers.append(c)
            _, w, _ = select.select([], [c], [], 0.3)
            if not w:
                dropped = True  # this SYN went unanswered: queue is full
                break
        if not dropped:
            raise LabError("could not fill the accept queue: SYNs are not being dropped")
        ctx[f"{self.name}_host"] = self.host
        ctx[f"{self.name}_port"] = port
        ctx[f"{self.name}_addr"] = f"{self.host}:{port}"

    def stop(self):
        for c in self._fillers:
            c.close()
        if self._sock:
            self._sock.close()


class DNS(Backend):
    """A tiny UDP DNS server on loopback.

    mode="nxdomain": every query gets NXDOMAIN (rcode 3), the name does not exist.
    mode="drop": queries are read and never answered (dead resolver).
    """

    def __init__(self, name, mode="nxdomain"):
        assert mode in ("nxdomain", "drop")
        self.name, self.mode = name, mode
        self.queries = []

    def start(self, ctx):
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((LOOPBACK, 0))
        self._sock.settimeout(0.1)
        port = self._sock.getsockname()[1]

        def loop():
            while not self._stop.is_set():
                try:
                    data, peer = self._sock.recvfrom(4096)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if len(data) < 12:
                    continue
                qname, qend = _parse_qname(data, 12)
                self.queries.append(qname)
                if self.mode == "drop" or qend is None:
                    continue
                flags = struct.unpack("!H", data[2:4])[0]
                rflags = 0x8000 | (flags & 0x7900) | 0x0080 | 3  # QR, opcode, RD, RA, NXDOMAIN
                reply = data[:2] + struct.pack("!HHHHH", rflags, 1, 0, 0, 0) + data[12:qend + 4]
                try:
                    self._sock.sendto(reply, peer)
                except OSError:
                    pass

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        ctx[f"{self.name}_port"] = port
        ctx[f"{self.name}_addr"] = f"{LOOPBACK}:{port}"

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()


def _parse_qname(data, off):
    labels = []
    while off < len(data):
        n = data[off]
        if n == 0:
            return ".".join(labels), off + 1
        if n & 0xC0:
            return ".".join(labels), None
        labels.append(data[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    return ".".join(labels), None
