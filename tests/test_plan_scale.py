"""The scale bench's memory: a process tree's, so the children the plan forks are counted, shared pages once."""

from __future__ import annotations

import os
import sys

import pytest

from bench.plan_scale import _pss_kib

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def test_a_forked_childs_own_memory_counts_and_what_it_shares_counts_once():
    shared = bytearray(64 << 20)
    shared[::4096] = b"s" * len(shared[::4096])  # resident here, and shared with the child, which only reads it
    before = _pss_kib(os.getpid())
    ready_read, ready_write = os.pipe()
    done_read, done_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child's)
        try:
            own = bytearray(32 << 20)
            own[::4096] = b"x" * len(own[::4096])
            os.write(ready_write, b"1")
            os.read(done_read, 1)
        finally:
            os._exit(0)
    try:
        os.read(ready_read, 1)
        grown = _pss_kib(os.getpid()) - before
    finally:
        os.write(done_write, b"1")
        os.waitpid(pid, 0)
        for fd in (ready_read, ready_write, done_read, done_write):
            os.close(fd)
    assert len(shared) == 64 << 20
    # The child's own 32 MiB, and not the 64 MiB it shares a second time (a sum of RSS would count those twice).
    assert 28 << 10 < grown < 56 << 10, grown
    assert _pss_kib(2**22 + 12345) == 0  # a process that is gone (or never was) holds nothing
