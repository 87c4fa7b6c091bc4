"""Processes, files and waits for the runner.

Every process is started with `started()`, a context manager that stops it
(SIGTERM, then SIGKILL) by its PID on the way out, whatever happened inside.
Nothing waits on a fixed sleep: `wait_for` polls a predicate (a line in a
log, a process exit, a ready file) up to a deadline.
"""

import contextlib
import json
import signal
import socket
import subprocess
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout, step=0.02):
    """Poll pred() until it is true or `timeout` seconds pass; its last value."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def parse_jsonl(text):
    """The JSON objects of a text, one a line; other lines skipped."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def read_jsonl(path):
    return parse_jsonl(read_text(path))


def first(events, name):
    return next((e for e in events if e.get("event") == name), None)


def stop(proc, timeout=5):
    """Stop a process we started, by its PID (never by name)."""
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def started(cmd, out, err=None, append=False, stop_timeout=5):
    """Start `cmd` with stdout to the file `out` (stderr to `err`, or to
    stdout); yield the Popen; stop it on the way out. The files are ours
    only until the child has them."""
    mode = "a" if append else "w"
    with contextlib.ExitStack() as files:
        fo = files.enter_context(open(out, mode))
        fe = subprocess.STDOUT if err is None else files.enter_context(open(err, mode))
        proc = subprocess.Popen(cmd, stdout=fo, stderr=fe)
    try:
        yield proc
    finally:
        stop(proc, stop_timeout)


def run_logged(cmd, log, timeout, append=True):
    """Run `cmd` to completion, stdout and stderr appended to `log`."""
    with open(log, "a" if append else "w") as f:
        return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=timeout)


class Sources:
    """A distinct loopback source address per case: a target that bans a
    misbehaving peer by IP (bcoin) bans only that case's address."""

    def __init__(self):
        self.n = 0
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            self.n += 1
            k = self.n
        return f"127.{10 + k // 250}.{k % 250 + 1}.{(k * 7) % 250 + 1}"
