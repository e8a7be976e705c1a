"""Kubernetes quantities ("512Mi", "1.5G") as numbers, for the stages that size things."""

from __future__ import annotations

import re

_QUANTITY = re.compile(r"^([0-9.]+(?:[eE][-+]?[0-9]+)?)([a-zA-Z]*)$")
_QUANTITY_FACTORS = {
    "": 1, "k": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "P": 10 ** 15, "E": 10 ** 18,
    "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60,
    "m": 10 ** -3,
}


def quantity_bytes(quantity) -> float:
    match = _QUANTITY.match(str(quantity))
    if not match or match.group(2) not in _QUANTITY_FACTORS:
        raise ValueError(f"not a Kubernetes quantity: {quantity!r}")
    return float(match.group(1)) * _QUANTITY_FACTORS[match.group(2)]
