"""Built-in register maps of real meter families, one file each with its published source."""

from __future__ import annotations

from chargestack.settings.meter_models import acrel_djsf1352_rn, acudc240
from chargestack.settings.register_map import MeterRegisterMap

BUILT_IN_MAPS: dict[str, MeterRegisterMap] = {
    acudc240.NAME: acudc240.MAP,
    acrel_djsf1352_rn.NAME: acrel_djsf1352_rn.MAP,
}

__all__ = ["BUILT_IN_MAPS"]
