"""The one firmware job that runs: UpdateFirmware's and SignedUpdateFirmware's jobs share
the A/B slots, so at most one of them may be on its way to an installation.

Each firmware job service joins the station's one :class:`FirmwareLane` (the composition
root hands both the same lane). A new request of either kind asks the lane for room before
it schedules its job: every open job of either kind that has not started installing is
replaced (the rule each kind has for a second request of its own: OCPP 1.6 section 5.19,
whitepaper L01.FR.24/L01.FR.26, AcceptedCanceled); from Installing on (the boot record may
be switching, the new firmware may be on trial) the running job must finish and the new
request is refused (whitepaper L01.FR.27: Rejected).
"""

from __future__ import annotations

import enum
from typing import Protocol

from chargestack.store.jobs import Job


class Room(enum.Enum):
    """What asking the lane for room did."""

    #: No firmware job was open.
    FREE = "free"
    #: Open jobs that had not started installing were cancelled for the new request.
    REPLACED = "replaced"
    #: A job is installing (or its firmware is on trial): the new request must not run.
    REFUSED = "refused"


class LaneMember(Protocol):
    """A firmware job service, as the lane sees it."""

    def open_jobs(self) -> list[Job]: ...

    def replaceable(self, job: Job) -> bool:
        """Whether ``job`` has not started installing yet."""
        ...

    def replace(self, job: Job, now_ms: int) -> None:
        """End ``job`` without a status of its own and stop its run if it is running."""
        ...


class FirmwareLane:
    """See the module docstring."""

    def __init__(self) -> None:
        self._members: list[LaneMember] = []

    def join(self, member: LaneMember) -> None:
        self._members.append(member)

    def make_room(self, now_ms: int) -> Room:
        """Before a new firmware request schedules its job (checked and done without an
        await, so no job can reach Installing in between)."""
        open_jobs = [(member, job) for member in self._members for job in member.open_jobs()]
        if any(not member.replaceable(job) for member, job in open_jobs):
            return Room.REFUSED
        for member, job in open_jobs:
            member.replace(job, now_ms)
        return Room.REPLACED if open_jobs else Room.FREE
