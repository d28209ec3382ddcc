"""Request bodies of the control API, in the API's camelCase spelling.

Strict JSON validation: a string where a number belongs is refused, not coerced, so a typo in
an integrator's script shows up as a 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chargestack.hardware.events import EvParameters
from chargestack.hardware.sim import ChargePointErrorCode, ModuleFault


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class PlugInBody(_Body):
    battery_wh: Annotated[float | None, Field(alias="batteryWh", gt=0, le=1_000_000)] = None
    soc: Annotated[float | None, Field(ge=0, le=100)] = None
    max_current_a: Annotated[float | None, Field(alias="maxCurrentA", gt=0, le=1000)] = None

    def ev(self) -> EvParameters:
        return EvParameters(self.battery_wh, self.soc, self.max_current_a)


class RfidBody(_Body):
    # OCPP 1.6 IdToken is CiString20Type.
    id_tag: Annotated[str, Field(alias="idTag", min_length=1, max_length=20)]


class FaultBody(_Body):
    error_code: Annotated[ChargePointErrorCode, Field(alias="errorCode")]
    # StatusNotification.info and vendorErrorCode are CiString50Type.
    info: Annotated[str | None, Field(max_length=50)] = None
    vendor_error_code: Annotated[str | None, Field(alias="vendorErrorCode", max_length=50)] = None

    @field_validator("error_code")
    @classmethod
    def _not_no_error(cls, value: ChargePointErrorCode) -> ChargePointErrorCode:
        if value is ChargePointErrorCode.NO_ERROR:
            raise ValueError("NoError is not a fault; use DELETE to clear the fault")
        return value


class ModuleFaultBody(_Body):
    fault: ModuleFault
