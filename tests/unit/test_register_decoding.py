"""Register words to numbers for every data type and word order, exponent registers, and
the read plan that covers a map."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chargestack.hardware.devices.register_decoding import (
    BlockRead,
    RegisterDecodeError,
    decode_words,
    plan_reads,
    scaled_value,
)
from chargestack.settings.meter_models import BUILT_IN_MAPS
from chargestack.settings.register_map import MeterRegisterMap, RegisterSpec


def words_of(fmt: str, value: float | int) -> list[int]:
    raw = struct.pack(">" + fmt, value)
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]


@pytest.mark.parametrize(
    ("type_", "fmt", "value"),
    [
        ("uint16", "H", 65_535),
        ("int16", "h", -12_345),
        ("uint32", "I", 4_000_000_000),
        ("int32", "i", -2_000_000_000),
        ("uint64", "Q", 2**63 + 12_345),
        ("int64", "q", -(2**62)),
        ("float32", "f", 801.5),
        ("float64", "d", -1234.5678),
    ],
)
@pytest.mark.parametrize("word_order", ["big", "little"])
def test_every_type_in_both_word_orders(
    type_: str, fmt: str, value: float, word_order: str
) -> None:
    spec = RegisterSpec(address=0, type=type_, word_order=word_order)  # type: ignore[arg-type]
    words = words_of(fmt, value)
    if word_order == "little":
        words.reverse()
    assert decode_words(words, spec) == pytest.approx(value)


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_uint32_big_endian_is_high_word_first(value: int) -> None:
    spec = RegisterSpec(address=10, type="uint32")
    assert decode_words([value >> 16, value & 0xFFFF], spec) == value


def test_scale_and_exponent_register() -> None:
    spec = RegisterSpec(address=2, type="int16", exponent_address=3, exponent_offset=3)
    # Acrel: reading = value x 10^(index - 3); -1875 with index 2 is -187.5 A.
    assert scaled_value(spec, {2: (-1875) & 0xFFFF, 3: 2}) == pytest.approx(-187.5)
    scaled = RegisterSpec(address=0x300, type="int32", scale=10.0)
    assert scaled_value(scaled, {0x300: 1, 0x301: 57_920}) == 1_234_560.0


@pytest.mark.parametrize(
    ("spec", "words", "problem"),
    [
        (RegisterSpec(address=0, type="float32"), {0: 0x7FC0, 1: 0}, "nan"),
        (RegisterSpec(address=0, type="float32"), {0: 0x7F80, 1: 0}, "inf"),
        (RegisterSpec(address=0, type="uint32"), {0: 1}, "was not read"),
        (RegisterSpec(address=0, type="uint16"), {0: 70_000}, "not 16-bit words"),
        (RegisterSpec(address=0, type="int16", exponent_address=1), {0: 1, 1: 99}, "exponent"),
    ],
)
def test_words_that_cannot_be_a_value_are_refused(
    spec: RegisterSpec, words: dict[int, int], problem: str
) -> None:
    with pytest.raises(RegisterDecodeError, match=problem):
        scaled_value(spec, words)


@pytest.mark.parametrize(
    ("type_", "words"),
    [
        ("int16", [0x8000]),
        ("uint16", [0xFFFF]),
        ("int32", [0x8000, 0x0000]),
        ("uint32", [0xFFFF, 0xFFFF]),
        ("int64", [0x8000, 0, 0, 0]),
        ("uint64", [0xFFFF] * 4),
        ("float32", [0x7FC0, 0x0000]),
        ("float64", [0x7FF8, 0, 0, 0]),
    ],
)
def test_sunspec_not_implemented_is_no_value_and_a_number_otherwise(
    type_: str, words: list[int]
) -> None:
    marked = RegisterSpec(address=0, type=type_, not_implemented="sunspec")  # type: ignore[arg-type]
    assert scaled_value(marked, dict(enumerate(words))) is None
    if not type_.startswith("float"):
        # Without the mark these words are a value like any other.
        plain = RegisterSpec(address=0, type=type_)  # type: ignore[arg-type]
        assert scaled_value(plain, dict(enumerate(words))) == decode_words(words, plain)


def test_sunspec_scale_factors() -> None:
    spec = RegisterSpec(address=0, type="int16", exponent_address=1, not_implemented="sunspec")
    # SunSpec: value x 10^SF, the scale factor a signed int16.
    assert scaled_value(spec, {0: 23_050, 1: (-2) & 0xFFFF}) == pytest.approx(230.5)
    assert scaled_value(spec, {0: 1_125, 1: 1}) == 11_250.0
    # A scale factor the meter does not implement leaves the value without a unit: none.
    assert scaled_value(spec, {0: 23_050, 1: 0x8000}) is None


def test_read_plan_covers_each_map_in_few_requests() -> None:
    assert plan_reads(BUILT_IN_MAPS["acrel-djsf1352-rn"]) == [BlockRead("holding", 0, 14)]
    assert plan_reads(BUILT_IN_MAPS["accuenergy-acudc240"]) == [
        BlockRead("holding", 0x200, 6),
        BlockRead("holding", 0x300, 2),
    ]
    mixed = MeterRegisterMap(
        energy_import=RegisterSpec(address=0x48, kind="input", type="float32"),
        voltage=RegisterSpec(address=0, kind="input", type="float32"),
        power=RegisterSpec(address=0x34, kind="holding", type="float32"),
    )
    assert plan_reads(mixed) == [
        BlockRead("holding", 0x34, 2),
        BlockRead("input", 0, 2),
        BlockRead("input", 0x48, 2),
    ]
