"""Local Auth List Management profile messages (OCPP 1.6 sections 5.10, 5.15)."""

from __future__ import annotations

from pydantic import Field

from chargestack.ocpp.messages.base import OcppModel
from chargestack.ocpp.messages.datatypes import AuthorizationData
from chargestack.ocpp.messages.enums import UpdateStatus, UpdateType


class GetLocalListVersionRequest(OcppModel):
    pass


class GetLocalListVersionResponse(OcppModel):
    # 0: no list installed; -1: local authorization list not enabled (section 5.10).
    list_version: int = Field(alias="listVersion")


class SendLocalListRequest(OcppModel):
    # Errata 3.52: 0 and -1 are reserved; the handler refuses them, the schema does not.
    list_version: int = Field(alias="listVersion")
    update_type: UpdateType = Field(alias="updateType")
    local_authorization_list: list[AuthorizationData] | None = Field(
        default=None, alias="localAuthorizationList"
    )


class SendLocalListResponse(OcppModel):
    status: UpdateStatus = Field(alias="status")
