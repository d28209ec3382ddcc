# Hand-written stub of the Rust extension `chargestack._core`; checked by mypy.stubtest.
# One section per area, in the order of rust/chargestack-py/src/lib.rs.

from typing import Literal

__version__: str

# --- OCPP-J framing (rust/chargestack-py/src/frame.rs) ---------------------------------------
# Malformed input raises chargestack.exceptions.FrameError(code, description, message_id);
# message_id is set only when a CALLERROR is owed (the frame was a CALL whose id was readable).

def decode_frame(
    text: str | bytes, *, max_len: int = 65536, max_depth: int = 64
) -> (
    tuple[Literal[2], str, str, str]
    | tuple[Literal[3], str, str]
    | tuple[Literal[4], str, str, str, str]
):
    """(2, id, action, payload_json) | (3, id, payload_json) | (4, id, code, description, details_json).

    Payloads are the raw JSON text of an object, as received. A CALLERROR code outside the
    OCPP-J 1.6 list is returned as is (leniency); check it against OCPP_ERRORS_BY_CODE.
    """

def encode_call(id: str, action: str, payload_json: str) -> str: ...
def encode_call_result(id: str, payload_json: str) -> str: ...
def encode_call_error(id: str, code: str, description: str, details_json: str = "{}") -> str: ...
