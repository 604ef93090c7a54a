"""AKS Engine API models (`apimodel.json`, the input of `aks-engine-azurestack deploy`, or its
`_output/*/apimodel.json`), recognised the same way by the ha/* and secret/* rules."""

from __future__ import annotations

from typing import Any


def is_api_model(data: Any) -> bool:
    """`apiVersion: vlabs` (any case: AKS Engine accepts `VLabs` too) with a `properties` object."""
    return (isinstance(data, dict) and str(data.get("apiVersion", "")).lower() == "vlabs"
            and isinstance(data.get("properties"), dict))
