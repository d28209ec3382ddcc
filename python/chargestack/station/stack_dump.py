"""SIGUSR1: write every thread's stack and every asyncio task's stack to stderr.

A charger in the field that stops answering can be asked where it is waiting without
stopping it: a field engineer sends ``kill -USR1`` and reads the log. The thread stacks are
written by ``faulthandler`` from the signal handler itself, so they come even when the event
loop is blocked; the task stacks need the event loop and follow when it runs.
"""

from __future__ import annotations

import asyncio
import faulthandler
import signal
import sys
from typing import TextIO


def dump_tasks(stream: TextIO | None = None) -> None:
    out = stream if stream is not None else sys.stderr
    tasks = asyncio.all_tasks()
    print(f"--- {len(tasks)} asyncio tasks ---", file=out)
    for task in sorted(tasks, key=lambda t: t.get_name()):
        task.print_stack(file=out)
    out.flush()


def install(loop: asyncio.AbstractEventLoop) -> None:
    loop.add_signal_handler(signal.SIGUSR1, dump_tasks)
    # After add_signal_handler, chained, so both run.
    faulthandler.register(signal.SIGUSR1, all_threads=True, chain=True)
