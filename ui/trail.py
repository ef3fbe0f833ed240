"""The audit trail as people read it: translated actions, columns and details (no Streamlit here)."""

from __future__ import annotations

import json

import pandas as pd

from etl.kinds import KINDS
from i18n import t

COLUMNS = ("seq", "at", "user_name", "action", "details")


def _value(key: str, value: object, lang: str) -> str:
    if key in ("role", "before") and isinstance(value, str):
        return t(f"role.{value}", lang)
    if key == "client" and value == "local":
        return t("audit.client.local", lang)
    if isinstance(value, bool):
        return t("common.yes" if value else "common.no", lang)
    if key == "effects" and isinstance(value, dict):
        parts = [
            t("audit.effect", lang, kind=KINDS[k].zh if lang == "zh" else t(f"kind.{k}", lang), **v)
            for k, v in value.items()
        ]
        return ("；" if lang == "zh" else "; ").join(parts) or "—"
    return str(value)


def details_text(details: str, lang: str) -> str:
    """'{"batch_id": "B00001", "file": "x.xlsx", …}' -> 'Batch: B00001 · File: x.xlsx · …' in `lang`."""
    fields = json.loads(details) if details else {}
    return " · ".join(
        f"{_field(k, lang)}: {_reason(v, fields, lang) if k == 'reason' else _value(k, v, lang)}"
        for k, v in fields.items()
    )


def _reason(key: object, fields: dict, lang: str) -> str:
    """A refusal's reason, recorded as its catalogue key (with its parameters beside it), in `lang`."""
    if not isinstance(key, str):
        return str(key)
    given = {**{k: v for k, v in fields.items() if k != "reason"}, **(fields.get("reason_params") or {})}
    params = {k: (v.get(lang, v) if isinstance(v, dict) else v) for k, v in given.items()}
    try:
        return t(key, lang, **params)
    except (KeyError, IndexError, ValueError):  # not a key, or its parameters were not recorded
        return key


def _field(key: str, lang: str) -> str:
    """A detail's name in `lang`; a detail recorded by a newer version, not yet in the catalogue, by its key."""
    try:
        return t(f"audit.detail.{key}", lang)
    except KeyError:
        return key


def trail_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The trail with translated action names and details, and headers in `lang`."""
    out = frame[list(COLUMNS)].copy()
    out["action"] = [t(f"audit.action.{a}", lang) for a in out["action"]]
    out["details"] = [details_text(d, lang) for d in out["details"]]
    return out.rename(columns={c: t(f"audit.col.{c}", lang) for c in COLUMNS})
