"""From what a serial RFID reader writes to an OCPP idTag.

Readers differ in what surrounds a UID (STX/ETX, CR/LF), in whether they write hex digits
or a decimal number, and in byte order. The idTag is always the UID's bytes as uppercase
hex, most significant byte first (the common CiString20 form: a 7-byte UID is 14 chars).
"""

from __future__ import annotations

from dataclasses import dataclass

from chargestack.settings.devices import ReaderDeviceSettings

# OCPP 1.6 section 7: IdToken is CiString20Type.
ID_TAG_MAX = 20


class UidFormatError(ValueError):
    """A line from the reader that is not a UID in the configured framing."""


@dataclass(frozen=True)
class UidFraming:
    prefix: str
    uid_format: str
    uid_bytes: int
    reversed_bytes: bool

    @classmethod
    def from_settings(cls, s: ReaderDeviceSettings) -> UidFraming:
        return cls(s.prefix, s.uid_format, s.uid_bytes, s.byte_order == "reversed")

    def id_tag(self, frame: str) -> str:
        """The idTag of one frame (the text between two terminators)."""
        text = frame.strip("\r\n\x00 ")
        if self.prefix:
            if not text.startswith(self.prefix):
                raise UidFormatError(f"frame {text!r} does not start with the prefix")
            text = text[len(self.prefix) :].strip()
        if not text:
            raise UidFormatError("empty frame")
        uid = self._bytes(text)
        if self.reversed_bytes:
            uid = uid[::-1]
        tag = uid.hex().upper()
        if len(tag) > ID_TAG_MAX:
            raise UidFormatError(f"UID of {len(uid)} bytes is longer than an idTag")
        return tag

    def _bytes(self, text: str) -> bytes:
        if self.uid_format == "hex":
            if len(text) % 2:
                raise UidFormatError(f"odd number of hex digits in {text!r}")
            try:
                return bytes.fromhex(text)
            except ValueError:
                raise UidFormatError(f"{text!r} is not hex") from None
        if not text.isdigit():
            raise UidFormatError(f"{text!r} is not a decimal number")
        number = int(text)
        try:
            return number.to_bytes(self.uid_bytes, "big")
        except OverflowError:
            raise UidFormatError(f"{text} does not fit {self.uid_bytes} bytes") from None
