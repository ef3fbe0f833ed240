"""The audit trail as people read it: translated actions, columns and details (no Streamlit here)."""

from __future__ import annotations

import json

import pandas as pd

import i18n
from etl.kinds import KINDS
from i18n import t

COLUMNS = ("seq", "at", "user_name", "action", "details")
ROLES = ("viewer", "analyst", "approver", "admin")  # etl.accounts.ROLES (a role is said by its name in `lang`)
# Notes the system writes on a version it publishes itself, said in the reader's words (any other note as written).
SYSTEM_NOTES = {"auto (no accounts)": "audit.note.auto", "initial": "audit.note.initial"}


def words(items: list | tuple, lang: str) -> str:
    """A list as people write one: 'B00001、B00002' (zh), 'B00001, B00002' (en); none: —."""
    return i18n.style(lang).list_sep.join(str(i) for i in items) or "—"


def _value(key: str, value: object, lang: str) -> str:
    if key in ("role", "before") and value in ROLES:
        return t(f"role.{value}", lang)
    if isinstance(value, (list, tuple)):
        return words(value, lang)
    if key == "client" and value == "local":
        return t("audit.client.local", lang)
    if isinstance(value, bool):
        return t("common.yes" if value else "common.no", lang)
    if key == "effects" and isinstance(value, dict):
        parts = [
            t("audit.effect", lang, kind=i18n.header(t(f"kind.{k}", lang), KINDS[k].zh, lang), **v)
            for k, v in value.items()
        ]
        return i18n.style(lang).clause_sep.join(parts) or "—"
    return str(value)


def details_text(details: str, lang: str, action: str = "") -> str:
    """'{"batch_id": "B00001", "file": "x.xlsx", …}' -> 'Batch: B00001 · File: x.xlsx · …' in `lang`; a publish or a
    rollback as a sentence ('发布版本 v000002；含批次 B00001、B00002；本次审核通过 B00002；…')."""
    fields = json.loads(details) if details else {}
    if action == "publish" and "version" in fields:
        return _published(fields, lang)
    if action == "rollback" and "version" in fields:
        before = fields.get("before")
        key = "audit.rollback" if before else "audit.rollback.first"
        return t(key, lang, version=fields["version"], before=before or "")
    return " · ".join(
        f"{_field(k, lang)}: {_reason(v, fields, lang) if k == 'reason' else _value(k, v, lang)}"
        for k, v in fields.items()
    )


def _published(fields: dict, lang: str) -> str:
    """A publish in words: the version, the batches it holds, those approved and withdrawn, who approved, the note."""
    parts = [t("audit.publish.version", lang, version=fields["version"])]
    for key in ("batches", "approved", "withdrawn"):
        if fields.get(key):
            parts.append(t(f"audit.publish.{key}", lang, batches=words(fields[key], lang)))
    if fields.get("self_approved"):
        parts.append(t("audit.publish.self", lang))
    note = str(fields.get("note") or "").strip()
    if note:
        parts.append(t("audit.publish.note", lang, note=t(SYSTEM_NOTES[note], lang) if note in SYSTEM_NOTES else note))
    return i18n.style(lang).clause_sep.join(parts)


def _reason(key: object, fields: dict, lang: str) -> str:
    """A refusal's reason, recorded as its catalogue key (with its parameters beside it), in `lang`."""
    if not isinstance(key, str):
        return str(key)
    given = {**{k: v for k, v in fields.items() if k != "reason"}, **(fields.get("reason_params") or {})}
    params = {k: i18n.worded(v, lang) for k, v in given.items()}
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
    out["details"] = [details_text(d, lang, a) for d, a in zip(out["details"], frame["action"], strict=True)]
    return out.rename(columns={c: t(f"audit.col.{c}", lang) for c in COLUMNS})
