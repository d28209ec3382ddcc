"""Reservation profile messages (OCPP 1.6 sections 5.2, 5.13)."""

from __future__ import annotations

from pydantic import Field

from chargestack.ocpp.messages.base import DateTime, IdToken, OcppModel
from chargestack.ocpp.messages.enums import CancelReservationStatus, ReservationStatus


class CancelReservationRequest(OcppModel):
    reservation_id: int = Field(alias="reservationId")


class CancelReservationResponse(OcppModel):
    status: CancelReservationStatus = Field(alias="status")


class ReserveNowRequest(OcppModel):
    connector_id: int = Field(alias="connectorId")
    expiry_date: DateTime = Field(alias="expiryDate")
    id_tag: IdToken = Field(alias="idTag")
    reservation_id: int = Field(alias="reservationId")
    parent_id_tag: IdToken | None = Field(default=None, alias="parentIdTag")


class ReserveNowResponse(OcppModel):
    status: ReservationStatus = Field(alias="status")
