"""The Reservation profile (OCPP 1.6 sections 3.11, 5.5 and 5.13): ReserveNow, CancelReservation."""

from __future__ import annotations

from chargestack.profiles.reservation.service import ReservationService

__all__ = ["ReservationService"]
