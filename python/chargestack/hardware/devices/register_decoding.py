"""From 16-bit register words to numbers, and from a register map to the reads it needs.

Pure functions, so the decoding of every data type and word order is tested without a
meter; the Modbus client only moves words.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from chargestack.settings.register_map import MeterRegisterMap, RegisterKind, RegisterSpec

_FORMATS = {
    "uint16": "H",
    "int16": "h",
    "uint32": "I",
    "int32": "i",
    "uint64": "Q",
    "int64": "q",
    "float32": "f",
    "float64": "d",
}
# One request may read at most 125 registers (Modbus application protocol 1.1b3, 6.3).
MAX_WORDS_PER_READ = 125


class RegisterDecodeError(ValueError):
    """The words cannot be a value of the register (wrong count, NaN, infinity)."""


def _unpack(words: list[int], spec: RegisterSpec) -> int | float:
    if len(words) != spec.words:
        raise RegisterDecodeError(f"{spec.type} needs {spec.words} words, got {len(words)}")
    if any(not 0 <= w <= 0xFFFF for w in words):
        raise RegisterDecodeError(f"not 16-bit words: {words}")
    ordered = words if spec.word_order == "big" else list(reversed(words))
    raw = b"".join(w.to_bytes(2, "big") for w in ordered)
    value: int | float = struct.unpack(">" + _FORMATS[spec.type], raw)[0]
    return value


def decode_words(words: list[int], spec: RegisterSpec) -> float:
    """The raw number in ``words`` (the register's words in address order), unscaled."""
    number = float(_unpack(words, spec))
    if not math.isfinite(number):
        raise RegisterDecodeError(f"the register holds {number}")
    return number


# SunSpec Information Model Specification: the value a register holds when the device does
# not implement the point (the most negative signed, the largest unsigned, NaN).
_SUNSPEC_NOT_IMPLEMENTED: dict[str, float] = {
    "int16": -0x8000,
    "uint16": 0xFFFF,
    "int32": -0x8000_0000,
    "uint32": 0xFFFF_FFFF,
    "int64": -(2**63),
    "uint64": 2**64 - 1,
}
SUNSPEC_NO_SCALE_FACTOR = 0x8000


def not_implemented(words: list[int], spec: RegisterSpec) -> bool:
    """Whether ``words`` are the "not implemented" value of a map that marks it."""
    if spec.not_implemented == "none":
        return False
    value = _unpack(words, spec)
    if spec.type.startswith("float"):
        return math.isnan(value)
    return value == _SUNSPEC_NOT_IMPLEMENTED[spec.type]


def scaled_value(spec: RegisterSpec, words: Mapping[int, int]) -> float | None:
    """The quantity in the station's unit, from every word read (address -> word); None
    when the meter marks it "not implemented" (``RegisterSpec.not_implemented``)."""
    try:
        own = [words[a] for a in range(spec.address, spec.address + spec.words)]
    except KeyError as missing:
        raise RegisterDecodeError(f"word {missing} was not read") from None
    if not_implemented(own, spec):
        return None
    value = decode_words(own, spec) * spec.scale
    if spec.exponent_address is not None:
        if spec.exponent_address not in words:
            raise RegisterDecodeError(f"exponent word {spec.exponent_address} was not read")
        exponent = words[spec.exponent_address]
        if spec.not_implemented == "sunspec" and exponent == SUNSPEC_NO_SCALE_FACTOR:
            return None
        # The exponent word is a small signed number (int16).
        exponent = exponent - 0x10000 if exponent >= 0x8000 else exponent
        power = exponent - spec.exponent_offset
        if not -20 <= power <= 20:
            raise RegisterDecodeError(f"exponent {exponent} is out of range")
        value *= 10.0**power
    return value


@dataclass(frozen=True)
class BlockRead:
    """One read request: ``count`` registers of ``kind`` from ``address``."""

    kind: RegisterKind
    address: int
    count: int


def plan_reads(register_map: MeterRegisterMap) -> list[BlockRead]:
    """As few requests as cover every word of the map: per register kind, runs of words
    closer than a small gap are read in one request (reading a few unused words is cheaper
    than another round trip on a 9600-baud line)."""
    gap = 8
    reads: list[BlockRead] = []
    by_kind: dict[RegisterKind, set[int]] = {}
    for spec in register_map.quantities().values():
        by_kind.setdefault(spec.kind, set()).update(spec.addresses())
    for kind in sorted(by_kind):
        addresses = sorted(by_kind[kind])
        start = prev = addresses[0]
        for a in addresses[1:]:
            if a - prev > gap or a - start + 1 > MAX_WORDS_PER_READ:
                reads.append(BlockRead(kind, start, prev - start + 1))
                start = a
            prev = a
        reads.append(BlockRead(kind, start, prev - start + 1))
    return reads
