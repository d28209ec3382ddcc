"""GetConfiguration and ChangeConfiguration (OCPP 1.6 sections 5.8 and 5.3)."""

from __future__ import annotations

from chargestack.exceptions import OccurenceConstraintViolationError
from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import Refuse, on
from chargestack.station.block import Block
from chargestack.station.configuration import Configuration


class ConfigurationService(Block):
    def __init__(self, config: Configuration) -> None:
        self._config = config

    @on(Action.GET_CONFIGURATION)
    async def get_configuration(
        self, request: m.GetConfigurationRequest
    ) -> m.GetConfigurationResponse:
        limit = self._config.get_int("GetConfigurationMaxKeys")
        if request.key and len(request.key) > limit:
            # Section 5.8 lets the charge point limit the keys of one request; OCPP-J 4.2.3:
            # a list longer than its cardinality is an OccurenceConstraintViolation.
            raise OccurenceConstraintViolationError(
                f"{len(request.key)} keys requested, GetConfigurationMaxKeys is {limit}",
                {"field": "key"},
            )
        entries, unknown = self._config.describe(list(request.key) if request.key else None)
        return m.GetConfigurationResponse(
            configuration_key=[
                m.KeyValue(key=e["key"], readonly=e["readonly"], value=e.get("value"))
                for e in entries
            ]
            or None,
            unknown_key=unknown or None,
        )

    @on(
        Action.CHANGE_CONFIGURATION,
        without_storage=Refuse(
            m.ChangeConfigurationResponse(status=m.ConfigurationStatus("Rejected"))
        ),
    )
    async def change_configuration(
        self, request: m.ChangeConfigurationRequest
    ) -> m.ChangeConfigurationResponse:
        result = self._config.set_from_ocpp(request.key, request.value)
        return m.ChangeConfigurationResponse(status=m.ConfigurationStatus(result))
