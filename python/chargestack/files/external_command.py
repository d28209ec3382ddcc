"""One external command of an installer (python -m venv, pip, an OS updater), awaited.

The command runs as a child process the event loop watches (nothing blocks the loop that
feeds the power watchdog) and is killed when it outlives its timeout. Every failure is an
:class:`InstallationError` that says which step failed and how.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from chargestack.files.errors import InstallationError


async def run_command(
    argv: Sequence[str],
    what: str,
    timeout_s: float,
    *,
    env: Mapping[str, str] | None = None,
    merge_stderr: bool = False,
) -> str:
    """Run ``argv`` to its end and return its output; ``merge_stderr`` folds the error
    output into it. A failure names ``what`` and quotes the last lines of the error output
    (of the output when merged)."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT if merge_stderr else asyncio.subprocess.PIPE,
            env=env,
        )
    except OSError as exc:
        raise InstallationError(f"{what} {argv[0]!r} cannot run: {exc}") from None
    try:
        async with asyncio.timeout(timeout_s):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise InstallationError(f"{what} took longer than {timeout_s}s") from None
    if proc.returncode != 0:
        complaint = out if merge_stderr else err
        tail = " | ".join(complaint.decode(errors="replace").strip().splitlines()[-5:])
        raise InstallationError(f"{what} failed (exit {proc.returncode}): {tail}")
    return out.decode(errors="replace")
