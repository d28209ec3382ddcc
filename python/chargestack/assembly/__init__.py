"""The composition root: where a Station gets its blocks, and what keeps it running.

- ``root``: :func:`assemble` builds every block of a started station with the collaborators
  it uses, plugs the optional profiles into Core's extension points and registers the
  handlers; ``blocks``: what it built, typed (:class:`ProfileBlocks`).
- ``assembled_station``: :class:`AssembledStation`, a Station built that way.
- ``runner``: :class:`StationRunner` keeps one running, restarting it after a Reset.

This is the only package that imports the profiles to put them together; the station layer
below it never imports a profile.
"""

from chargestack.assembly.assembled_station import AssembledStation
from chargestack.assembly.blocks import CoreBlocks, ProfileBlocks, SecurityBlocks
from chargestack.assembly.root import assemble
from chargestack.assembly.runner import StationRunner

__all__ = [
    "AssembledStation",
    "CoreBlocks",
    "ProfileBlocks",
    "SecurityBlocks",
    "StationRunner",
    "assemble",
]
