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


def decode_words(words: list[int], spec: RegisterSpec) -> float:
    """The raw number in ``words`` (the register's words in address order), unscaled."""
    if len(words) != spec.words:
        raise RegisterDecodeError(f"{spec.type} needs {spec.words} words, got {len(words)}")
    if any(not 0 <= w <= 0xFFFF for w in words):
        raise RegisterDecodeError(f"not 16-bit words: {words}")
    ordered = words if spec.word_order == "big" else list(reversed(words))
    raw = b"".join(w.to_bytes(2, "big") for w in ordered)
    (value,) = struct.unpack(">" + _FORMATS[spec.type], raw)
    number = float(value)
    if not math.isfinite(number):
        raise RegisterDecodeError(f"the register holds {number}")
    return number


def scaled_value(spec: RegisterSpec, words: Mapping[int, int]) -> float:
    """The quantity in the station's unit, from every word read (address -> word)."""
    try:
        own = [words[a] for a in range(spec.address, spec.address + spec.words)]
    except KeyError as missing:
        raise RegisterDecodeError(f"word {missing} was not read") from None
    value = decode_words(own, spec) * spec.scale
    if spec.exponent_address is not None:
        if spec.exponent_address not in words:
            raise RegisterDecodeError(f"exponent word {spec.exponent_address} was not read")
        # The exponent word is a small signed number (int16).
        exponent = words[spec.exponent_address]
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
