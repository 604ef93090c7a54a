"""Kubernetes label selectors (matchLabels + matchExpressions), as the API server applies them."""

from __future__ import annotations

from typing import Any


def selector_matches(selector: Any, labels: dict, *, empty_matches_all: bool = True) -> bool:
    """True when `labels` satisfy `selector`.

    `empty_matches_all`: `{}` selects every pod (NetworkPolicy podSelector, PDB in policy/v1);
    a missing (None) selector selects nothing.
    """
    if selector is None or not isinstance(selector, dict):
        return False
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not match_labels and not expressions:
        return empty_matches_all
    labels = {str(k): str(v) for k, v in (labels or {}).items()}
    if isinstance(match_labels, dict):
        for key, value in match_labels.items():
            if labels.get(str(key)) != str(value):
                return False
    for expr in expressions if isinstance(expressions, list) else []:
        if not isinstance(expr, dict) or not _expression_matches(expr, labels):
            return False
    return True


def _expression_matches(expr: dict, labels: dict[str, str]) -> bool:
    key = str(expr.get("key", ""))
    operator = expr.get("operator")
    values = [str(v) for v in (expr.get("values") or [])]
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False  # unknown operator: the API server rejects it, so it selects nothing
