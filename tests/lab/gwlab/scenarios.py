"""The scenario catalogue.

Each entry says: which backends to start (and how they misbehave), which
requests the client sends, and per proxy: the configuration fragment, what the
client must see, and which error-log lines prove which cause.

Placeholders in fragments: {{dir}} (the run's temp dir), {{NAME_addr}},
{{NAME_host}}, {{NAME_port}}, {{NAME_path}} for each backend NAME,
{{tls_cert}}, {{tls_key}}, {{other_ca}} (a CA that did not sign tls_cert).

Matchers are written from what nginx 1.22.1 and Caddy 2.6.2 were observed to
log; they do not use gw502's catalogue.
"""

from .backends import (DNS, TCP, Blackhole, CloseAfterRequest, DeadPort, MissingSocket, RawAfterRequest,
                       ResetAfterRequest, Respond, Unix, big_headers)
from .matchers import M
from .runner import Case, Req, Scenario, Skip

# ---------------------------------------------------------------------------
# Matcher helpers


def ng(level, text, label):
    """An nginx error-log line of `level` for a request (`*N ` connection id)."""
    return M(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[" + level + r"\] \d+#\d+: \*\d+ " + text, label)


# nginx's context suffix after the upstream phase
NG_CTX = r", client: 127\.0\.0\.1, server: lab\.test, request: \"[A-Z]+ \S+ HTTP/1\.1\""


def ce(msg, label):
    """A Caddy http.log.error entry (logger http.log.error.log0 with a site log).

    Its level is "error" for 5xx without handle_errors, "debug" when a
    handle_errors route handled the error (the Caddy bridge): not checked."""
    return M(logger=r"^http\.log\.error(?:\.\w+)?$", msg=msg, label=label)


GET3 = [Req("/"), Req("/api/items"), Req("/login")]
GET2 = [Req("/"), Req("/api/items")]

REFUSED_NG = ng("error", r"connect\(\) failed \(111: Connection refused\) while connecting to upstream" + NG_CTX,
                "connection_refused")
REFUSED_CADDY = ce(r"^dial tcp 127\.0\.0\.1:\d+: connect: connection refused$", "connection_refused")

TLS_ALERT = b"\x15\x03\x01\x00\x02\x02\x0a"
REDIS_ERROR = b"-ERR unknown command 'GET', with args beginning with: '/' \r\n"

SCENARIOS = [
    Scenario(
        name="healthy",
        doc="A working backend: 200s only (noise for the analyzer).",
        backends=[TCP("app", Respond(body=b"hello\n"))],
        requests=GET3,
        nginx=Case("proxy_pass http://{{app_addr}};", [], [200, 200, 200]),
        caddy=Case("reverse_proxy {{app_addr}}", [], [200, 200, 200]),
    ),
    Scenario(
        name="backend_not_running",
        doc="Nothing listens on the upstream port.",
        backends=[DeadPort("app")],
        requests=GET3,
        nginx=Case("proxy_pass http://{{app_addr}};", [REFUSED_NG], [502] * 3),
        caddy=Case("reverse_proxy {{app_addr}}", [REFUSED_CADDY], [502] * 3),
    ),
    Scenario(
        name="wrong_port",
        doc="The backend runs, but on another port than the proxy targets.",
        backends=[TCP("app", Respond()), DeadPort("wrong")],
        requests=GET3,
        nginx=Case("proxy_pass http://{{wrong_addr}};", [REFUSED_NG], [502] * 3),
        caddy=Case("reverse_proxy {{wrong_addr}}", [REFUSED_CADDY], [502] * 3),
    ),
    Scenario(
        name="bound_other_address",
        doc="The backend listens on 127.0.0.2:P only; the proxy targets 127.0.0.1:P "
            "(an app bound to one interface, the proxy reaching it on another).",
        backends=[TCP("app", Respond(), host="127.0.0.2", also_free_on=["127.0.0.1"])],
        requests=GET3,
        nginx=Case("proxy_pass http://127.0.0.1:{{app_port}};", [REFUSED_NG], [502] * 3),
        caddy=Case("reverse_proxy 127.0.0.1:{{app_port}}", [REFUSED_CADDY], [502] * 3),
    ),
    Scenario(
        name="tls_to_plain",
        doc="The proxy speaks TLS to a plain-HTTP backend (which answers 400 to the ClientHello).",
        backends=[TCP("app", Respond())],
        requests=GET3,
        nginx=Case(
            "proxy_pass https://{{app_addr}};",
            [ng("error", r"SSL_do_handshake\(\) failed \(SSL: error:0A00010B:SSL routines::wrong version number\) "
                         r"while SSL handshaking to upstream" + NG_CTX, "tls_to_plain_backend")],
            [502] * 3),
        caddy=Case(
            "reverse_proxy https://{{app_addr}}",
            [ce(r"^tls: first record does not look like a TLS handshake$", "tls_to_plain_backend")],
            [502] * 3),
    ),
    Scenario(
        name="plain_to_tls",
        doc="The proxy speaks plain HTTP to a TLS-only backend (a Python/OpenSSL server: the handshake "
            "fails on 'GET ', the server closes with the request unread, so the kernel sends RST). "
            "The proxy's line is the same as for a crashing backend.",
        backends=[TCP("app", Respond(), tls=True)],
        requests=GET3,
        nginx=Case(
            "proxy_pass http://{{app_addr}};",
            [ng("error", r"recv\(\) failed \(104: Connection reset by peer\) while reading response header "
                         r"from upstream" + NG_CTX, "upstream_reset")],
            [502] * 3),
        caddy=Case(
            "reverse_proxy {{app_addr}}",
            [ce(r"^read tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: read: connection reset by peer$",
                "upstream_reset"),
             # A POST whose body Caddy is still copying when the backend closes: the
             # write side fails first (a race, seen in about one run in ten).
             ce(r"^readfrom tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: write tcp \S+: "
                r"(use of closed network connection|write: broken pipe|write: connection reset by peer)$",
                "upstream_reset")],
            [502] * 3),
    ),
    Scenario(
        name="plain_to_tls_alert",
        doc="The proxy speaks plain HTTP to a TLS-only backend that answers with a TLS alert record "
            "(15 03 01 00 02 02 0a: fatal, unexpected_message) and closes.",
        backends=[TCP("app", RawAfterRequest(TLS_ALERT))],
        requests=GET2,
        nginx=Case(
            "proxy_pass http://{{app_addr}};",
            # nginx 1.22 passes the alert bytes on as an HTTP/0.9 answer (access status 009).
            [ng("error", r"upstream sent no valid HTTP/1\.0 header while reading response header from upstream"
                + NG_CTX, "invalid_upstream_response")],
            ["bad_response"] * 2),
        caddy=Case(
            "reverse_proxy {{app_addr}}",
            [ce(r'^net/http: HTTP/1\.x transport connection broken: malformed HTTP response "\\x15\\x03',
                "plain_to_tls_backend")],
            [502] * 2),
    ),
    Scenario(
        name="tls_untrusted",
        doc="TLS backend with a self-signed certificate; the proxy verifies against a CA that did not sign it.",
        backends=[TCP("app", Respond(), tls=True)],
        requests=GET3,
        nginx=Case(
            "proxy_pass https://{{app_addr}};\n"
            "proxy_ssl_verify on;\n"
            "proxy_ssl_trusted_certificate {{other_ca}};\n"
            "proxy_ssl_name localhost;",
            [ng("error", r"upstream SSL certificate verify error: \(18:self-signed certificate\) "
                         r"while SSL handshaking to upstream" + NG_CTX, "tls_verify_failed")],
            [502] * 3),
        caddy=Case(
            "reverse_proxy https://{{app_addr}} {\n"
            "  transport http {\n"
            "    tls_trusted_ca_certs {{other_ca}}\n"
            "    tls_server_name localhost\n"
            "  }\n"
            "}",
            [ce(r"^x509: certificate signed by unknown authority$", "tls_verify_failed")],
            [502] * 3),
    ),
    Scenario(
        name="read_timeout",
        doc="The backend accepts and reads the request but answers after the proxy's 1s timeout.",
        backends=[TCP("app", Respond(delay=3))],
        requests=GET2,
        nginx=Case(
            "proxy_pass http://{{app_addr}};\nproxy_read_timeout 1s;",
            [ng("error", r"upstream timed out \(110: Connection timed out\) while reading response header "
                         r"from upstream" + NG_CTX, "read_timeout")],
            [504] * 2),
        caddy=Case(
            "reverse_proxy {{app_addr}} {\n  transport http {\n    response_header_timeout 1s\n  }\n}",
            [ce(r"^net/http: timeout awaiting response headers$", "read_timeout")],
            [504] * 2),
    ),
    Scenario(
        name="connect_timeout",
        doc="SYNs are dropped (full accept queue of a listener that never accepts); 1s connect timeout.",
        backends=[Blackhole("app")],
        requests=GET2,
        nginx=Case(
            "proxy_pass http://{{app_addr}};\nproxy_connect_timeout 1s;",
            [ng("error", r"upstream timed out \(110: Connection timed out\) while connecting to upstream"
                + NG_CTX, "connect_timeout")],
            [504] * 2),
        caddy=Case(
            "reverse_proxy {{app_addr}} {\n  transport http {\n    dial_timeout 1s\n  }\n}",
            # 2.6.2 wraps dial errors in DialError, so statusError does not see a timeout: 502
            [ce(r"^dial tcp 127\.0\.0\.1:\d+: i/o timeout$", "connect_timeout")],
            [502] * 2),
    ),
    Scenario(
        name="dns_nxdomain",
        doc="The upstream name does not exist: the resolver (a loopback DNS server) answers NXDOMAIN.",
        backends=[DNS("dns", "nxdomain"), TCP("app", Respond())],
        requests=GET2,
        nginx=Case(
            "set $lab_upstream backend.lab.test;\nproxy_pass http://$lab_upstream:{{app_port}};",
            [ng("error", r"backend\.lab\.test could not be resolved \(3: Host not found\)" + NG_CTX,
                "dns_failure")],
            [502] * 2,
            http="resolver {{dns_addr}} valid=1s;\nresolver_timeout 1s;"),
        caddy=Case(
            "reverse_proxy backend.lab.test:{{app_port}} {\n  transport http {\n    resolvers udp/{{dns_addr}}\n  }\n}",
            [ce(r"^dial tcp: lookup backend\.lab\.test(?: on [\d.:]+)?: no such host$", "dns_failure")],
            [502] * 2),
    ),
    Scenario(
        name="dns_no_answer",
        doc="The resolver never answers (dead DNS server); 1s resolver/dial timeout.",
        backends=[DNS("dns", "drop"), TCP("app", Respond())],
        requests=GET2,
        nginx=Case(
            "set $lab_upstream backend.lab.test;\nproxy_pass http://$lab_upstream:{{app_port}};",
            [ng("error", r"backend\.lab\.test could not be resolved \(110: Operation timed out\)" + NG_CTX,
                "dns_failure")],
            [502] * 2,
            http="resolver {{dns_addr}} valid=1s;\nresolver_timeout 1s;"),
        caddy=Case(
            "reverse_proxy backend.lab.test:{{app_port}} {\n  transport http {\n    resolvers udp/{{dns_addr}}\n"
            "    dial_timeout 1s\n  }\n}",
            # 502, not 504: 2.6.2 wraps dial errors (lookup included) in DialError
            [ce(r"^dial tcp: lookup backend\.lab\.test(?: on [\d.:]+)?: i/o timeout$", "dns_failure")],
            [502] * 2),
    ),
    Scenario(
        name="no_resolver",
        doc="nginx: a variable upstream and no `resolver` directive.",
        backends=[TCP("app", Respond())],
        requests=GET2,
        nginx=Case(
            "set $lab_upstream backend.lab.test;\nproxy_pass http://$lab_upstream:{{app_port}};",
            [ng("error", r"no resolver defined to resolve backend\.lab\.test" + NG_CTX, "no_resolver")],
            [502] * 2),
        caddy=Skip("Caddy always resolves with Go's resolver (from /etc/resolv.conf); there is no "
                   "'no resolver' state, and the lab must not send queries to a non-loopback server"),
    ),
    Scenario(
        name="unix_socket_missing",
        doc="The upstream unix socket path does not exist.",
        backends=[MissingSocket("app")],
        requests=GET2,
        nginx=Case(
            "proxy_pass http://unix:{{app_path}}:;",
            [ng("crit", r"connect\(\) to unix:\S+ failed \(2: No such file or directory\) while connecting to "
                        r"upstream" + NG_CTX, "unix_socket_missing")],
            [502] * 2),
        caddy=Case(
            "reverse_proxy unix/{{app_path}}",
            [ce(r"^dial unix \S+: connect: no such file or directory$", "unix_socket_missing")],
            [502] * 2),
    ),
    Scenario(
        name="unix_socket_denied",
        doc="The unix socket is mode 600 owned by root; the proxy (nginx workers, caddy) runs as nobody.",
        backends=[Unix("app", Respond(), mode=0o600)],
        requests=GET2,
        nginx=Case(
            "proxy_pass http://unix:{{app_path}}:;",
            [ng("crit", r"connect\(\) to unix:\S+ failed \(13: Permission denied\) while connecting to "
                        r"upstream" + NG_CTX, "permission_denied")],
            [502] * 2, user="nobody"),
        caddy=Case(
            "reverse_proxy unix/{{app_path}}",
            [ce(r"^dial unix \S+: connect: permission denied$", "permission_denied")],
            [502] * 2, user="nobody"),
    ),
    Scenario(
        name="backend_reset",
        doc="The backend reads the request and aborts the connection (RST via SO_LINGER 0).",
        backends=[TCP("app", ResetAfterRequest())],
        requests=GET3,
        nginx=Case(
            "proxy_pass http://{{app_addr}};",
            [ng("error", r"recv\(\) failed \(104: Connection reset by peer\) while reading response header "
                         r"from upstream" + NG_CTX, "upstream_reset")],
            [502] * 3),
        caddy=Case(
            "reverse_proxy {{app_addr}}",
            [ce(r"^read tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: read: connection reset by peer$", "upstream_reset")],
            [502] * 3),
    ),
    Scenario(
        name="backend_closes",
        doc="The backend reads the request and closes without answering (a crashing worker).",
        backends=[TCP("app", CloseAfterRequest())],
        requests=GET3,
        nginx=Case(
            "proxy_pass http://{{app_addr}};",
            [ng("error", r"upstream prematurely closed connection while reading response header from upstream"
                + NG_CTX, "upstream_reset")],
            [502] * 3),
        caddy=Case(
            "reverse_proxy {{app_addr}}",
            [ce(r"^EOF$", "upstream_reset")],
            [502] * 3),
    ),
    Scenario(
        name="header_too_big",
        doc="The response headers (16 KiB) exceed the proxy's header buffer (4 KiB).",
        backends=[TCP("app", Respond(headers=big_headers(16384)))],
        requests=GET2,
        nginx=Case(
            "proxy_pass http://{{app_addr}};\nproxy_buffer_size 4k;",
            [ng("error", r"upstream sent too big header while reading response header from upstream" + NG_CTX,
                "header_too_big")],
            [502] * 2),
        caddy=Case(
            "reverse_proxy {{app_addr}} {\n  transport http {\n    max_response_header 4k\n  }\n}",
            [ce(r"net/http: server response headers exceeded \d+ bytes; aborted$", "header_too_big")],
            [502] * 2),
    ),
    Scenario(
        name="not_http",
        doc="The target port speaks another protocol (a Redis-style error line instead of HTTP).",
        backends=[TCP("app", RawAfterRequest(REDIS_ERROR))],
        requests=GET2,
        nginx=Case(
            "proxy_pass http://{{app_addr}};",
            # nginx 1.22 does not fail here: it passes the bytes on as an HTTP/0.9 answer
            # (access log status 009), so the client gets garbage instead of a 502.
            [ng("error", r"upstream sent no valid HTTP/1\.0 header while reading response header from upstream"
                + NG_CTX, "invalid_upstream_response")],
            ["bad_response"] * 2),
        caddy=Case(
            "reverse_proxy {{app_addr}}",
            [ce(r"^net/http: HTTP/1\.x transport connection broken: malformed HTTP (?:response|status code|version) ",
                "invalid_upstream_response")],
            [502] * 2),
    ),
    Scenario(
        name="invalid_header",
        doc="The backend answers HTTP with a malformed header line (a NUL byte in the name, no colon).",
        backends=[TCP("app", RawAfterRequest(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Bad\x00Header\r\nContent-Length: 3\r\n\r\nok\n"))],
        requests=GET2,
        nginx=Case(
            "proxy_pass http://{{app_addr}};",
            [ng("error", r"upstream sent invalid header: \".*\" while reading response header from upstream"
                + NG_CTX, "invalid_upstream_response")],
            [502] * 2),
        caddy=Case(
            "reverse_proxy {{app_addr}}",
            [ce(r"^net/http: HTTP/1\.x transport connection broken: malformed MIME header(?: line)?: ",
                "invalid_upstream_response")],
            [502] * 2),
    ),
    Scenario(
        name="fastcgi_to_http",
        doc="FastCGI spoken to an HTTP backend (which answers 'HTTP/1.1 400').",
        backends=[TCP("app", Respond())],
        requests=GET2,
        nginx=Case(
            "fastcgi_pass {{app_addr}};",
            [ng("error", r"upstream sent unsupported FastCGI protocol version: 72 while reading response header "
                         r"from upstream" + NG_CTX, "invalid_upstream_response")],
            [502] * 2),
        caddy=Case(
            "reverse_proxy {{app_addr}} {\n  transport fastcgi\n}",
            [ce(r"^fcgi: invalid header version$", "invalid_upstream_response")],
            [502] * 2),
    ),
    Scenario(
        name="no_live_upstreams",
        doc="Two upstream servers, max_fails=1: the first request marks both failed, the next ones "
            "find no live upstream.",
        backends=[DeadPort("a"), DeadPort("b")],
        requests=GET3,
        nginx=Case(
            "proxy_pass http://lab_backend;",
            [REFUSED_NG,
             ng("warn", r"upstream server temporarily disabled while connecting to upstream" + NG_CTX, "-"),
             ng("error", r"no live upstreams while connecting to upstream" + NG_CTX, "no_live_upstreams")],
            [502] * 3,
            http="upstream lab_backend {\n"
                 "    server {{a_addr}} max_fails=1 fail_timeout=30s;\n"
                 "    server {{b_addr}} max_fails=1 fail_timeout=30s;\n"
                 "}"),
        caddy=Case(
            # one upstream: Caddy picks one server per request (no retries by default)
            "reverse_proxy {{a_addr}} {\n  fail_duration 30s\n  max_fails 1\n}",
            [REFUSED_CADDY, ce(r"^no upstreams available$", "no_live_upstreams")],
            [502, 503, 503]),
    ),
    Scenario(
        name="client_gives_up",
        doc="The client hangs up (after 0.5s) before a slow backend (3s) answers.",
        backends=[TCP("app", Respond(delay=3))],
        requests=[Req("/slow", abort_after=0.5), Req("/report", abort_after=0.5)],
        nginx=Case(
            "proxy_pass http://{{app_addr}};",
            [ng("info", r"(?:epoll_wait\(\) reported that )?client prematurely closed connection, so upstream "
                        r"connection is closed too while (?:sending request to|reading response header from) "
                        r"upstream" + NG_CTX, "client_closed")],
            ["client_closed"] * 2),
        caddy=Case(
            # 2.6.2 treats context.Canceled as success: no http.log.error entry, access status 0;
            # the only trace is reverse_proxy's DEBUG "upstream roundtrip" with error "context canceled".
            "reverse_proxy {{app_addr}}",
            [], ["client_closed"] * 2),
    ),
]

BY_NAME = {s.name: s for s in SCENARIOS}
