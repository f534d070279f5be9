"""run_cancellable: a long native call made cancellable; results, errors and the lock behave."""

from __future__ import annotations

import threading
import time

import pytest

from editor.core.errors import Cancelled
from editor.core.progress import WAITING, CancelToken, Reporter, abandoned_calls_running, run_cancellable


def test_value_and_error_come_back():
    assert run_cancellable(lambda: 42, Reporter()) == 42
    assert run_cancellable(lambda: 7, None) == 7
    with pytest.raises(ZeroDivisionError):
        run_cancellable(lambda: 1 / 0, Reporter())


def test_cancel_returns_at_once_and_the_lock_serialises_the_abandoned_call():
    lock, order = threading.Lock(), []
    tok = CancelToken()

    def slow():
        time.sleep(0.6)   # releases the GIL, as native code does
        order.append("slow")
    threading.Timer(0.1, tok.cancel).start()
    t0 = time.perf_counter()
    with pytest.raises(Cancelled):
        run_cancellable(slow, Reporter(cancel=tok), lock=lock, poll_s=0.02)
    assert time.perf_counter() - t0 < 0.4
    assert lock.locked() and abandoned_calls_running()  # the abandoned call still runs, holding the lock ...
    stages = []
    outer = Reporter(lambda stage, f: stages.append((stage, f)))
    run_cancellable(lambda: order.append("next"), outer.within("lr_inpaint", 0.2, 0.8), lock=lock, poll_s=0.02)
    assert order == ["slow", "next"]                # ... and the next call ran after it,
    assert stages == [(WAITING, 0.2)]               # saying it waited (a bar that does not move looks hung)
    assert not lock.locked() and not abandoned_calls_running()


def test_cancel_while_waiting_for_the_lock():
    lock = threading.Lock()
    lock.acquire()
    tok = CancelToken()
    threading.Timer(0.1, tok.cancel).start()
    ran = []
    with pytest.raises(Cancelled):
        run_cancellable(lambda: ran.append(1), Reporter(cancel=tok), lock=lock, poll_s=0.02)
    lock.release()
    assert ran == [] and not lock.locked()
