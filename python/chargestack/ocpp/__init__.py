"""OCPP 1.6J: payload models (:mod:`chargestack.ocpp.messages`), RPC session and routing.

This package knows nothing of chargers; the station and the profiles build on it.
"""
