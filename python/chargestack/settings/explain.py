"""Every key of a station-file table with its effective value and what it means.

``chargestack config check --explain`` prints it for the ``[devices]`` tables, whose keys
all carry a description (a test holds every one to that).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel


def explain(model: BaseModel, prefix: str) -> list[str]:
    """One line per key, ``key = value  # description``, tables and arrays expanded."""
    lines: list[str] = []
    for name, field in type(model).model_fields.items():
        key = f"{prefix}.{name}"
        value = getattr(model, name)
        about = field.description or ""
        if isinstance(value, BaseModel):
            lines.append(f"[{key}]  # {about}")
            lines.extend(explain(value, key))
        elif isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            for index, item in enumerate(value):
                lines.append(f"[{key}[{index}]]  # {about}")
                lines.extend(explain(item, f"{key}[{index}]"))
        else:
            lines.append(f"{key} = {_toml_like(value)}  # {about}")
    return lines


def _toml_like(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, list):
        return "[]" if not value else json.dumps(value)
    if isinstance(value, Path):
        return json.dumps(str(value))
    return json.dumps(value)
