"""The narrative (文字综述): the catalogue's figures as a few sentences for a leader, in the reader's language.

Presentation, not figures: it reads the frame of metrics.figures (or queries.kpis) and fills the i18n "narrative.*"
templates. The Overview, the deck's cover notes, the printed report and `etl metrics` all say it through here.
"""

from __future__ import annotations

import re

import pandas as pd

import declared
import i18n
from metrics import ACTIVITIES_PER_PAIR, METRICS

# --- the narrative (文字综述): sentence templates (i18n "narrative.*") filled from the figures, as a town would write
# its own report: a clause with nothing to say (no figure, or nothing to count) is left out, never "0个" or "¥0";
# a year that is not over says up to which day it runs ("2024年1月（截至31日）").

_NOTHING = re.compile(r"[-¥]*0(?:\.0+)?[%万]?|—")  # a figure that, as shown, says nothing happened


def narrative(
    frame: pd.DataFrame, lang: str, *, community: str | None = None, names: declared.Names | None = None
) -> list[str]:
    """The figures of `figures()` (or queries.kpis) as a few sentences for a leader, in `lang`.

    Sentences follow the catalogue's groups and leave out what has nothing to say; town-wide figures are said to be
    the town's when a community is selected; the first sentence opens with the period, naming the day a year not
    yet over runs to; the fund and the programmes go by the names the data declare (`names`).
    """
    from i18n import CATALOGUES, numbers, t

    rows = frame.set_index("metric" if "metric" in frame else "code")
    params = (names or declared.Names()).params(lang)
    catalogue = CATALOGUES.get(lang, CATALOGUES["en"])

    def shown(code: str, column: str = "value", unit: str | None = None) -> str:
        """The figure as the reader reads it, or '' when it says nothing (missing, or zero as shown)."""
        x = rows.at[code, column]
        if x is None or pd.isna(x):
            return ""
        text = numbers.by_unit(unit or METRICS[code].unit, float(x), lang)
        return "" if _NOTHING.fullmatch(text) else text

    def counted(key: str, n: str, **more: object) -> str:
        """`key` for n things: its singular form (key_one) for one, where the language has one."""
        one = f"{key}_one"
        return t(one if n == "1" and one in catalogue else key, lang, n=n, **{**params, **more})

    def listed(parts: list[str]) -> str:
        """'a、b' or 'a and b'; 'a, b and c' (a list's last item joined by narrative.last)."""
        if len(parts) < 3:
            return t("narrative.and", lang).join(parts)
        return t("narrative.list", lang).join(parts[:-1]) + t("narrative.last", lang) + parts[-1]

    first = rows.iloc[0]
    end = pd.Timestamp(first["end"]).date()
    if first["start"] is None or pd.isna(first["start"]):
        lead = t("narrative.lead_all", lang, date=numbers.day(end, lang))
    else:
        start = pd.Timestamp(first["start"]).date()
        if end < start:  # a year that has not begun by the as-of date
            return [t("narrative.not_begun", lang, year=start.year, date=numbers.day(end, lang))]
        if first["partial"]:
            lead = t(
                "narrative.lead_month" if end.month == 1 else "narrative.lead_partial",
                lang,
                year=start.year,
                month=i18n.style(lang).month_name(end.month),
                end=i18n.style(lang).day_in_year(end),
            )
        else:
            lead = t("narrative.lead_year", lang, year=start.year)
    where = community or t("narrative.town", lang)
    out = []

    completed = []  # the programmes' completions, each with what it says of them
    for code, key, of_which, of_key in (
        ("projects_completed", "narrative.projects", "group_governance_themes", "narrative.themes"),
        ("micro_renewal_completed", "narrative.micro", "micro_renewal_resident_proposed", "narrative.proposed"),
    ):
        if n := shown(code):
            part = shown(of_which)
            if part == n != "1" and f"{of_key}_all" in catalogue:  # every one of them
                completed.append(counted(key, n) + t(f"{of_key}_all", lang))
            else:
                completed.append(counted(key, n) + (counted(of_key, part) if part else ""))
    if completed:
        out.append(t("narrative.completed", lang, where=where, items=listed(completed)))
    if n := shown("beautiful_community_district_plus"):
        part = shown("beautiful_community_municipal")
        municipal = t("narrative.municipal_one" if n == "1" else "narrative.municipal", lang, n=part) if part else ""
        out.append(counted("narrative.beautiful", n, where=where, municipal=municipal))
    if n := shown("promotion_meetings"):
        out.append(counted("narrative.meetings", n))

    trained, roster = shown("trained"), shown("training_coverage", "denominator", "count")
    if trained and roster:
        rate = shown("training_coverage")
        volume = [
            counted(key, x)
            for key, x in (
                ("narrative.hours", shown("training_hours")),
                ("narrative.person_times", shown("person_times")),
            )
            if x
        ]
        everyone = trained == roster
        sentence = "narrative.training_one" if roster == "1" else "narrative.training"
        out.append(
            t(
                "narrative.training_all" if everyone and roster != "1" else sentence,
                lang,
                where=where,
                roster=roster,
                n=trained,
                coverage=t("narrative.coverage", lang, rate=rate) if rate and not everyone else "",
                volume=t("narrative.volume", lang, items=listed(volume)) if volume else "",
            )
        )

    mentors, mentees = shown("mentors"), shown("mentees")
    if mentors and mentees:
        done = shown("mentoring_activities")
        out.append(
            t(
                "narrative.mentoring",
                lang,
                mentoring=params["mentoring"],
                mentors=counted("narrative.mentors", mentors),
                mentees=counted("narrative.mentees", mentees),
                activities=t("narrative.activities", lang, n=done, total=ACTIVITIES_PER_PAIR) if done else "",
            )
        )

    fund = []
    if raised := shown("fund_raised"):
        fund.append(t("narrative.raised", lang, n=raised))
    if used := shown("usage_rate", "numerator", "yuan"):  # the town's spending (the rate's numerator)
        rate = shown("usage_rate") if raised else ""
        fund.append(t("narrative.used_rate" if rate else "narrative.used", lang, n=used, rate=rate))
    if balance := shown("balance"):
        fund.append(t("narrative.balance", lang, n=balance))
    if fund:
        out.append(t("narrative.fund", lang, fund=params["fund"], items=listed(fund)))
        mine = shown("fund_used")
        if community and used and mine and rows.at["fund_used", "scope"] == "community":
            out.append(t("narrative.fund_community", lang, where=community, n=mine))

    if not out:
        return [t("narrative.nothing", lang, lead=lead)]
    return [lead + out[0]] + [s[:1].upper() + s[1:] for s in out[1:]]


def joined(sentences: list[str], lang: str) -> str:
    """Sentences as one paragraph: run together in Chinese, spaced in English."""
    return i18n.style(lang).sentence_sep.join(sentences)
