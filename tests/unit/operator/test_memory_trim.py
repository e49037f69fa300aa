"""memory_trim: the interval the operator reads, glibc's malloc_trim, and the timer loop."""

from __future__ import annotations

import asyncio

import pytest

from stellars_operator import memory_trim
from stellars_operator.memory_trim import DEFAULT_TRIM_SECONDS, trim_seconds


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, DEFAULT_TRIM_SECONDS),
        ("", DEFAULT_TRIM_SECONDS),
        ("10", 10.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-5", 0.0),
        ("soon", 0.0),
    ],
)
def test_the_interval_comes_from_the_environment(value: str | None, seconds: float) -> None:
    environ = {} if value is None else {"STELLARS_MALLOC_TRIM_SECONDS": value}
    assert trim_seconds(environ) == seconds


def test_a_value_that_is_no_number_says_so(caplog: pytest.LogCaptureFixture) -> None:
    trim_seconds({"STELLARS_MALLOC_TRIM_SECONDS": "soon"})
    assert "'soon' is not a number" in caplog.text


def test_glibc_trims_for_real() -> None:
    trim = memory_trim.malloc_trim()
    assert trim is not None, "this machine's C library is glibc: malloc_trim must be found"
    assert trim() in (0, 1)  # 1: memory was released, 0: there was none to release


def test_the_timer_trims_until_it_is_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(memory_trim, "malloc_trim", lambda: lambda: calls.append(1) or 0)

    async def run_a_while() -> bool:
        task = asyncio.create_task(memory_trim.trim_periodically(0.01))
        while len(calls) < 3:
            await asyncio.sleep(0.01)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return True
        return False

    assert asyncio.run(asyncio.wait_for(run_a_while(), timeout=10))
    assert len(calls) >= 3


def test_without_glibc_the_timer_ends_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory_trim, "malloc_trim", lambda: None)
    asyncio.run(asyncio.wait_for(memory_trim.trim_periodically(0.01), timeout=10))
