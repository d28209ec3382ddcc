"""How large an incoming OCPP-J frame may be.

OCPP 1.6 sets no frame size, but one message is large by design: a SendLocalList with
SendLocalListMaxLength entries. The default limit is derived from that message at its
worst (every idTag and parentIdTag at the 20 characters of CiString20Type, the longest
status and expiryDate), doubled for central systems that escape or indent their JSON, and
never below 64 KiB (DataTransfer carries free text).

Two thresholds follow from the limit:

- up to the limit a frame is decoded as usual;
- between the limit and the transport cap (``TRANSPORT_CAP_FACTOR`` times the limit) the
  frame is read but not decoded: a CALL is answered with a CALLERROR (GenericError) that
  echoes its unique id, recovered from the first bytes, and the link stays up;
- beyond the cap the websocket library refuses the frame and closes the link with 1009
  (RFC 6455 "message too big"); the session logs the close at WARNING.
"""

from __future__ import annotations

import orjson

#: Never below this: DataTransfer data is a free string of any length.
MIN_FRAME_BYTES = 64 * 1024
#: Frames up to this many times the limit are read (so a CALLERROR can name their id).
TRANSPORT_CAP_FACTOR = 4
# Room for central systems whose JSON is escaped (\u00xx) or pretty-printed.
_SERIALIZER_HEADROOM = 2
_ID_TAG = "X" * 20  # CiString20Type at its maximum
_UNIQUE_ID = "U" * 36  # OCPP-J 1.6 section 4.1.3: at most 36 characters


def largest_send_local_list_frame(entries: int) -> int:
    """Bytes of a compact SendLocalList CALL of ``entries`` entries at maximum field sizes."""
    item = {
        "idTag": _ID_TAG,
        "idTagInfo": {
            "status": "ConcurrentTx",
            "expiryDate": "2099-12-31T23:59:59.999999+00:00",
            "parentIdTag": _ID_TAG,
        },
    }
    payload = {
        "listVersion": 2**31 - 1,
        "localAuthorizationList": [item] * max(0, entries),
        "updateType": "Differential",
    }
    return len(orjson.dumps([2, _UNIQUE_ID, "SendLocalList", payload]))


def default_max_frame_bytes(send_local_list_max_length: int) -> int:
    """The default frame limit for a station taking lists of this many entries."""
    needed = _SERIALIZER_HEADROOM * largest_send_local_list_frame(send_local_list_max_length)
    kib = -(-needed // 1024)
    return max(MIN_FRAME_BYTES, kib * 1024)
