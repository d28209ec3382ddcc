"""Which trust anchor validated the central system's TLS certificate on this connection.

Security whitepaper M04.FR.06: the CentralSystemRootCertificate in use cannot be deleted, so
the session keeps the root of the chain OpenSSL verified at the handshake.
"""

from __future__ import annotations

import ssl
from typing import Any

# _ssl's Certificate.public_bytes format (ssl has no public name for it before 3.13).
_ENCODING_DER = 2


def verified_root_der(ssl_object: ssl.SSLObject | None) -> bytes | None:
    """The DER of the last certificate of the verified chain (the trust anchor), if any."""
    if ssl_object is None:
        return None
    chain_of: Any = getattr(ssl_object, "get_verified_chain", None)
    if chain_of is None:
        # Python 3.11/3.12 have the chain only on the private C object; public from 3.13.
        chain_of = getattr(getattr(ssl_object, "_sslobj", None), "get_verified_chain", None)
    if chain_of is None:
        return None
    chain = chain_of()
    if not chain:
        return None
    root = chain[-1]
    if isinstance(root, bytes):
        return root
    der: bytes = root.public_bytes(_ENCODING_DER)
    return der
