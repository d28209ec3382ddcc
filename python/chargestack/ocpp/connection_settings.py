"""Where and how the charge point connects: URL, identity and security profile 0-3.

Security profiles follow the OCPP 1.6 security whitepaper (edition 3), section 2:
1 = HTTP Basic auth over ws://, 2 = Basic auth over TLS with server validation,
3 = mutual TLS (client certificate), no Basic auth. 0 = no security (testing only).
"""

from __future__ import annotations

import base64
import ssl
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote


@dataclass(frozen=True)
class ConnectionSettings:
    central_system_url: str
    charge_point_id: str
    security_profile: int = 0
    authorization_key: str | None = None
    ca_file: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    # A central system reached by IP address still has a certificate issued to a name.
    server_hostname: str | None = None

    @property
    def url(self) -> str:
        # OCPP-J 1.6 section 3.1.1: the identity is the last path segment, URL-encoded.
        return self.central_system_url.rstrip("/") + "/" + quote(self.charge_point_id, safe="")

    def with_security(self, **changes: object) -> ConnectionSettings:
        return replace(self, **changes)  # type: ignore[arg-type]

    def basic_auth_header(self) -> str | None:
        """Whitepaper 2.2: user = charge point id, password = AuthorizationKey (profiles 1 and 2)."""
        if self.security_profile not in (1, 2) or not self.authorization_key:
            return None
        password = _authorization_key_bytes(self.authorization_key)
        token = base64.b64encode(self.charge_point_id.encode() + b":" + password).decode()
        return f"Basic {token}"

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.url.startswith("wss://"):
            return None
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        # Whitepaper 2.3: TLS 1.2 or higher.
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.ca_file is not None:
            context.load_verify_locations(cafile=str(self.ca_file))
        if self.security_profile == 3:
            if self.client_cert is None or self.client_key is None:
                raise ValueError("security profile 3 needs a client certificate and key")
            context.load_cert_chain(str(self.client_cert), str(self.client_key))
        return context


def _authorization_key_bytes(key: str) -> bytes:
    """The AuthorizationKey is configured as hex (whitepaper: 16-20 bytes = 32-40 hex
    characters); a key that is not hex is used as its UTF-8 text, which is what many
    central systems expect in practice (a named leniency)."""
    try:
        if len(key) % 2 == 0:
            return bytes.fromhex(key)
    except ValueError:
        pass
    return key.encode()
