"""Small helpers shared by the lab: loopback ports, templating, processes."""

import errno
import os
import random
import re
import signal
import socket
import subprocess
import time

LOOPBACK = "127.0.0.1"


class LabError(Exception):
    """A scenario could not be set up or run (not an expectation failure)."""


def check_loopback(host):
    """Every address the lab binds or connects to must be in 127.0.0.0/8."""
    if not host.startswith("127."):
        raise LabError(f"refusing non-loopback address {host!r}")
    return host


_handed_out = set()


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def free_port(host=LOOPBACK, also_free_on=()):
    """A TCP port that is free on `host` (and on every address in also_free_on).

    Ports are drawn below the kernel's ephemeral range, so the proxies' own
    outgoing connections (and other programs') cannot take a port between the
    moment we pick it and the moment a server binds it; a port is never
    handed out twice in one lab process.
    """
    check_loopback(host)
    lo, _ = _ephemeral_range()
    top = lo - 1 if lo > 12000 else 65535
    bottom = 10000 if lo > 12000 else lo
    for _ in range(200):
        port = random.randint(bottom, top)
        if port in _handed_out:
            continue
        if port_is_free(host, port) and all(port_is_free(other, port) for other in also_free_on):
            _handed_out.add(port)
            return port
    raise LabError(f"no free port on {host}")


def port_is_free(host, port):
    check_loopback(host)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _listening_in_proc(port):
    """True/False from /proc/net/tcp{,6}: a socket on `port` in state LISTEN
    (0A); None when /proc cannot tell."""
    found_table = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                found_table = True
                for line in f:
                    parts = line.split()
                    if len(parts) > 3 and parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except (OSError, StopIteration, ValueError):
            continue
    return False if found_table else None


def wait_listening(host, port, proc, timeout=8.0, what="proxy"):
    """Wait until something listens on host:port, without connecting to it.

    Connecting would leave a "client closed connection" line in the proxy's
    log. The kernel's socket table says when a socket on the port is in
    LISTEN state (a port that is only bound, before listen(), still refuses
    connections). Without /proc, we try to bind the port ourselves:
    EADDRINUSE means the proxy holds it (the port was picked fresh).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise LabError(f"{what} exited with status {proc.returncode} before listening")
        state = _listening_in_proc(port)
        if state is True:
            return
        if state is False:
            time.sleep(0.02)
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return
            raise
        finally:
            s.close()
        time.sleep(0.02)
    raise LabError(f"{what} did not listen on {host}:{port} within {timeout}s")


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")


def render(template, ctx):
    """Replace {{name}} placeholders (nginx and Caddy configs are full of braces
    and dollars, so neither str.format nor string.Template fit)."""

    def sub(m):
        key = m.group(1)
        if key not in ctx:
            raise LabError(f"unknown placeholder {{{{{key}}}}} in config template")
        return str(ctx[key])

    return _PLACEHOLDER.sub(sub, template)


def start_process(argv, *, log_path, env=None, cwd=None, user=None, group=None):
    """Start a server in its own session (so its process group can be killed)."""
    out = open(log_path, "ab")
    try:
        kwargs = {}
        if user is not None:
            kwargs["user"] = user
        if group is not None:
            kwargs["group"] = group
            kwargs["extra_groups"] = []
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            **kwargs,
        )
    finally:
        out.close()


def stop_process(proc, sig=signal.SIGTERM, grace=5.0):
    """Ask politely, wait, then kill the whole process group (even if interrupted)."""
    if proc is None:
        return
    pgid = proc.pid  # start_new_session: the leader's pid is the group id
    try:
        if proc.poll() is None:
            try:
                os.kill(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
    finally:
        # Workers (nginx) or anything left over in the group.
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        # Wait for group members to disappear (nginx workers are not our children).
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and group_alive(pgid):
            time.sleep(0.02)


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def command_output(argv):
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
        return r.stdout.decode("utf-8", "replace").strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unavailable: {e}"
