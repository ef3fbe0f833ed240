"""The metric catalogue: every figure the product shows, declared once.

Each `Metric` says what the figure is (names and 口径 in Chinese and English, written for a leader), how it is
shown (unit), how it behaves over time (a flow is summed over the period; a stock is a level on the period's
last day; a rate divides two other metrics of the same scope), whether more is better, which `targets.metric`
it is measured against, whether it can be cut by community, and its SQL. Every surface reads it: the KPI tiles,
the presenter's slides, the .pptx, the printed report, exports and `python -m etl metrics`.

Periods. A period runs from `start` (always a 1 January) to `end`. For a year Y as of day D it is
1 January Y .. min(31 December Y, D): a year that is not over is year-to-date (`partial`), compared with the same
dates of the year before and measured against its full-year target with the pace expected by D. "All years" runs
from the first record to D and has neither a target nor a comparison.

Scopes. Donations and meetings are not recorded by community, so their metrics are town-wide (scope "town"):
with a community selected they are computed for the whole town and labelled so, never divided or subtracted
with a community's figure. A rate is computed in one scope: usage rate is the town's spending over the town's
donations, whatever community is selected.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from etl import kinds
from i18n import LANGUAGES, t

Con = duckdb.DuckDBPyConnection

ACTIVITIES_PER_PAIR = 10  # each mentoring pair works through ten set activities
EPOCH = date(1900, 1, 1)  # the start of "all years"

# --- a period's records, each defined once. The catalogue's figures, the pages' breakdowns (queries.py) and the
# deck's charts all read these fragments, with $start and $end the period (Period: 1 January, or the epoch for all
# years, up to min(31 December, the as-of date)) and $community a community or NULL for the town.

COMMUNITY = "($community::VARCHAR IS NULL OR {col} = $community::VARCHAR)"
IN_PERIOD = "{col} BETWEEN $start::DATE AND $end::DATE"
# Projects completed in the period (alias p).
DONE = "p.status = 'completed' AND " + IN_PERIOD.format(col="p.completed_date")
# The roster of a period (alias w): active workers who had joined by its last day (a blank joined date = always on
# it). Someone hired in January 2024 was never on 2023's roster.
ROSTER = "coalesce(w.active, TRUE) AND (w.joined_date IS NULL OR w.joined_date <= $end::DATE) AND " + COMMUNITY.format(
    col="w.community"
)
# Who attended at least one session dated in the period (their ids, once each). training_worker_year
# (etl/derived.sql) holds each worker's first session date per year; periods start on 1 January, so "first date
# that year <= end" for any year from the start's to the end's is exactly "attended in the period".
TRAINED_IDS = (
    "SELECT DISTINCT t.worker_id FROM training_worker_year t "
    "WHERE t.year BETWEEN year($start::DATE) AND year($end::DATE) AND t.first_date <= $end::DATE"
)
# Trained in the period: on its roster and attended (alias w).
TRAINED = f"{ROSTER} AND w.worker_id IN ({TRAINED_IDS})"
# Sessions held in the period (alias s); for a community, those its workers attended.
SESSIONS = (
    IN_PERIOD.format(col="s.date") + " AND ($community::VARCHAR IS NULL OR s.session_id IN "
    "(SELECT c.session_id FROM session_communities c WHERE c.community = $community::VARCHAR))"
)
# Attendance rows (person-times) per session and batch in the period, from the derived tables (etl/derived.sql):
# town-wide from session_attendance, for a community its workers' rows from session_communities. `{start}` is the
# period's first day (an expression).
ATTENDANCE_COUNTS = """
    SELECT x.session_id, x.date, x._batch_id, x.person_times FROM session_attendance x
    WHERE $community::VARCHAR IS NULL AND x.date BETWEEN {start} AND $end::DATE
    UNION ALL
    SELECT c.session_id, s.date, c._batch_id, c.person_times
    FROM session_communities c JOIN training_sessions s USING (session_id)
    WHERE c.community = $community::VARCHAR AND s.date BETWEEN {start} AND $end::DATE
"""
# Person-times of the period by month and format: whole months from the monthly roll-up, the last part-month (the
# as-of month, when the period ends inside it) from the per-session counts.
PERSON_TIMES = f"""
    SELECT r.month, r.format, r.person_times FROM training_rollup r
    WHERE r.month >= $start::DATE AND last_day(r.month) <= $end::DATE AND {COMMUNITY.format(col="r.community")}
    UNION ALL
    SELECT date_trunc('month', p.date)::DATE AS month, s.format, p.person_times
    FROM ({ATTENDANCE_COUNTS.format(start="greatest($start::DATE, date_trunc('month', $end::DATE))")}) p
    JOIN training_sessions s USING (session_id)
    WHERE $end::DATE < last_day($end::DATE)
"""
# Mentoring pairs started by the period's last day, or undated (alias m); for a community, those whose mentee
# belongs to it.
PAIRS = (
    "(m.start_date IS NULL OR m.start_date <= $end::DATE) AND ($community::VARCHAR IS NULL OR m.mentee_id IN "
    "(SELECT w.worker_id FROM workers w WHERE w.community = $community::VARCHAR))"
)
_PERSON_TIMES = f"(SELECT coalesce(sum(person_times), 0) FROM ({PERSON_TIMES}))"


# Resident voices (居民诉求) collected in the period (alias v; for a community: its own), and the town's promise to
# answer within so many days: the targets sheet's voice_promise_days for the period's year, else VOICE_PROMISE_DAYS.
# The catalogue's voice figures, the 民意到实事 page's breakdowns and the deck's funnel all read these.
VOICE_PROMISE_DAYS = 15
VOICES = IN_PERIOD.format(col="v.collected_date") + " AND " + COMMUNITY.format(col="v.community")
_VOICES = "resident_voices v WHERE " + VOICES
PROMISE = (
    f"(SELECT coalesce(max(t.target), {VOICE_PROMISE_DAYS})::INTEGER FROM targets t "
    "WHERE t.metric = 'voice_promise_days' AND t.year = year($end::DATE))"
)
# Answered by the period's last day within the promise; due: answered by then, or its promise over by then.
ON_TIME = f"v.answered_date <= $end::DATE AND date_diff('day', v.collected_date, v.answered_date) <= {PROMISE}"
DUE = f"(v.answered_date <= $end::DATE OR date_diff('day', v.collected_date, $end::DATE) > {PROMISE})"
_ASKED = "v.satisfaction IS NOT NULL"
_SATISFIED = "v.satisfaction IN ('satisfied', 'basically')"
# Projects some voice became, completed in the period (for a community: its projects), with the first voice's date.
_FROM_VOICES = "p.project_id IN (SELECT project_id FROM resident_voices WHERE project_id IS NOT NULL)"
_VOICE_PROJECTS = f"projects p WHERE {_FROM_VOICES} AND {DONE} AND {COMMUNITY.format(col='p.community')}"


@dataclass(frozen=True)
class Metric:
    code: str
    group: str  # programme | training | mentoring | fund | voices: where it is shown
    definition: dict[str, str]  # 口径, for a leader
    unit: str  # count | percent | hours | yuan | decimal
    kind: str  # flow (summed over the period) | stock (a level on its last day) | rate (numerator ÷ denominator)
    scope: str  # community (can be cut by community) | town (town-wide only)
    sql: str = ""  # a scalar SELECT with $start, $end and (scope community) $community; empty for a rate
    source: str = ""  # the table whose records it counts: no records in a period = no figure (not a zero)
    numerator: str | None = None
    denominator: str | None = None
    target: str | None = None  # the targets.metric code it is measured against
    line: str = ""  # tiles that share a line on a page (one programme's figures)
    better: str = "up"  # up | down | neutral: how a change is coloured
    shown: bool = True  # False: a component of a rate, not a figure of its own

    @property
    def name(self) -> dict[str, str]:
        """{"zh": …, "en": …}: its names, kept in the text catalogue (i18n "metric.<code>.name"), where the
        pipeline (etl/kinds.py) reads them too."""
        return {lang: self.label(lang) for lang in LANGUAGES}

    def label(self, lang: str) -> str:
        return t(f"metric.{self.code}.name", lang)

    def explain(self, lang: str) -> str:
        return self.definition[lang] if lang in self.definition else t(f"metric.{self.code}.explain", lang)


CATALOGUE: tuple[Metric, ...] = (
    # --- the programmes, as the town reports them (each on its own: never one total across programmes)
    Metric(
        "projects_completed",
        "programme",
        {
            "zh": "组团治理类项目中，状态为“已完成”且完成日期在所选期间内的项目数。其他项目类型（微更新、美丽社区等）分别统计，不计入此数。",
            "en": "Group-governance projects whose status is completed and whose completion date falls in the period. "
            "Other programmes (micro-renewals, Beautiful Community, …) are counted on their own, not here.",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(*) FROM projects p WHERE program = 'group_governance' AND {DONE} "
        f"AND {COMMUNITY.format(col='p.community')}",
        "projects",
        target="projects_completed",
        line="group_governance",
    ),
    Metric(
        "group_governance_themes",
        "programme",
        {
            "zh": "所选期间内完成的组团治理项目涉及的不同主题数（未填主题的不计）。",
            "en": "Distinct themes of the group-governance projects completed in the period (a blank theme is not one).",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(DISTINCT theme) FROM projects p WHERE program = 'group_governance' AND {DONE} "
        f"AND {COMMUNITY.format(col='p.community')}",
        "projects",
        line="group_governance",
    ),
    Metric(
        "promotion_meetings",
        "programme",
        {
            "zh": "所选期间内召开的“推进会”类会议次数。会议不按社区记录，为全镇数据。",
            "en": "Meetings of type “promotion” held in the period. Meetings are not recorded by community: town-wide.",
        },
        "count",
        "flow",
        "town",
        f"SELECT count(*) FROM meetings WHERE type = 'promotion' AND {IN_PERIOD.format(col='date')}",
        "meetings",
        line="group_governance",
    ),
    Metric(
        "beautiful_community_district_plus",
        "programme",
        {
            "zh": "“美丽社区”类项目中，所选期间内完成、且最高获评级别为区级或市级的项目数；每个项目按最高级别只计一次。",
            "en": "Beautiful Community projects completed in the period whose highest level is district or municipal; "
            "each project counts once, at its highest level.",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(*) FROM projects p WHERE program = 'beautiful_community' AND level IN ('district', 'municipal') "
        f"AND {DONE} AND {COMMUNITY.format(col='p.community')}",
        "projects",
        line="beautiful_community",
    ),
    Metric(
        "beautiful_community_municipal",
        "programme",
        {
            "zh": "上述美丽社区项目中获评市级的项目数。",
            "en": "Of those Beautiful Community projects, the ones at municipal level.",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(*) FROM projects p WHERE program = 'beautiful_community' AND level = 'municipal' "
        f"AND {DONE} AND {COMMUNITY.format(col='p.community')}",
        "projects",
        line="beautiful_community",
    ),
    Metric(
        "micro_renewal_completed",
        "programme",
        {
            "zh": "微更新类项目中，状态为“已完成”且完成日期在所选期间内的项目数。",
            "en": "Micro-renewal projects whose status is completed and whose completion date falls in the period.",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(*) FROM projects p WHERE program = 'micro_renewal' AND {DONE} "
        f"AND {COMMUNITY.format(col='p.community')}",
        "projects",
        target="micro_renewal_completed",
        line="micro_renewal",
    ),
    Metric(
        "micro_renewal_resident_proposed",
        "programme",
        {
            "zh": "上述微更新项目中标记为居民提出的项目数。",
            "en": "Of those micro-renewals, the ones marked as proposed by residents.",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(*) FROM projects p WHERE program = 'micro_renewal' AND resident_proposed AND {DONE} "
        f"AND {COMMUNITY.format(col='p.community')}",
        "projects",
        line="micro_renewal",
    ),
    # --- training
    Metric(
        "roster",
        "training",
        {
            "zh": "所选期间的名册：在岗、且入职日期不晚于期间最后一天（未填入职日期视为一直在册）的社区工作者，包括书记、主任、委员、社工和后备干部。期间结束后入职的人不计入该期间。",
            "en": "The period's roster: active community workers who had joined by its last day (a blank joined date "
            "counts as always), every role included. Someone who joined after the period is not on its roster.",
        },
        "count",
        "stock",
        "community",
        f"SELECT count(*) FROM workers w WHERE {ROSTER}",
        "workers",
        shown=False,
    ),
    Metric(
        "trained",
        "training",
        {
            "zh": "所选期间名册上的人员中，在期间内至少参加过一场培训的人数。",
            "en": "Workers on the period's roster who attended at least one session held in the period.",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(*) FROM workers w WHERE {TRAINED}",
        "training_sessions",
    ),
    Metric(
        "training_coverage",
        "training",
        {
            "zh": "参训人数 ÷ 名册人数：所选期间名册上（在岗、入职不晚于期间末）的人员中，期间内至少参加一场培训的比例。",
            "en": "Workers trained ÷ workers on the roster: the share of the period's roster (active, joined by its "
            "end) who attended at least one session held in the period.",
        },
        "percent",
        "rate",
        "community",
        source="training_sessions",
        numerator="trained",
        denominator="roster",
        target="training_coverage",
    ),
    Metric(
        "training_hours",
        "training",
        {
            "zh": "所选期间内举办的培训场次的学时之和（选择社区时：该社区人员参加过的场次）。",
            "en": "Hours of the training sessions held in the period (for a community: sessions its workers attended).",
        },
        "hours",
        "flow",
        "community",
        f"SELECT coalesce(sum(s.hours), 0)::DOUBLE FROM training_sessions s WHERE {SESSIONS}",
        "training_sessions",
        target="training_hours",
    ),
    Metric(
        "person_times",
        "training",
        {
            "zh": "所选期间内举办的培训的签到记录数：一人参加一场计一人次（选择社区时：该社区人员的签到）。",
            "en": "Attendance records of sessions held in the period: one person at one session is one person-time "
            "(for a community: its workers' attendance).",
        },
        "count",
        "flow",
        "community",
        f"SELECT {_PERSON_TIMES}",
        "training_sessions",
        target="person_times",
    ),
    Metric(
        "sessions",
        "training",
        {
            "zh": "所选期间内举办的培训场次（选择社区时：该社区人员参加过的场次）。",
            "en": "Training sessions held in the period (for a community: sessions its workers attended).",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(*) FROM training_sessions s WHERE {SESSIONS}",
        "training_sessions",
    ),
    # --- mentoring (the town's mentoring programme: declared.Names.mentoring)
    Metric(
        "mentors",
        "mentoring",
        {
            "zh": "结对日期不晚于期间最后一天（或未填日期）的师徒结对中的师傅人数（选择社区时：徒弟属于该社区的结对）。",
            "en": "Mentors of the pairs started by the period's last day (or undated); for a community, pairs whose "
            "mentee belongs to it.",
        },
        "count",
        "stock",
        "community",
        f"SELECT count(DISTINCT m.mentor_id) FROM mentorships m WHERE {PAIRS}",
        "mentorships",
    ),
    Metric(
        "mentees",
        "mentoring",
        {
            "zh": "上述结对中的徒弟（后备干部）人数。",
            "en": "Mentees (reserve cadres) in those pairs.",
        },
        "count",
        "stock",
        "community",
        f"SELECT count(DISTINCT m.mentee_id) FROM mentorships m WHERE {PAIRS}",
        "mentorships",
    ),
    Metric(
        "mentoring_activities",
        "mentoring",
        {
            "zh": f"上述每对师徒已完成的规定活动（共{ACTIVITIES_PER_PAIR}项）的平均数（取最新记录，不随截至日期回溯）。",
            "en": f"Average of the {ACTIVITIES_PER_PAIR} set activities each of those pairs has done (the latest "
            "record; not rolled back to the as-of date).",
        },
        "decimal",
        "stock",
        "community",
        f"SELECT avg(coalesce(m.activities_done, 0))::DOUBLE FROM mentorships m WHERE {PAIRS}",
        "mentorships",
    ),
    # --- the community fund (its name: declared.Names.fund)
    Metric(
        "fund_raised",
        "fund",
        {
            "zh": "所选期间内收到的捐赠之和。捐赠不按社区记录，为全镇数据。",
            "en": "Donations received in the period. Donations are not recorded by community: town-wide.",
        },
        "yuan",
        "flow",
        "town",
        f"SELECT coalesce(sum(amount_yuan), 0)::DOUBLE FROM donations WHERE {IN_PERIOD.format(col='date')}",
        "donations",
        target="fund_raised",
    ),
    Metric(
        "fund_used",
        "fund",
        {
            "zh": "所选期间内的基金支出之和（选择社区时：记在该社区名下的支出）。",
            "en": "Fund spending in the period (for a community: the spending recorded for it).",
        },
        "yuan",
        "flow",
        "community",
        f"SELECT coalesce(sum(amount_yuan), 0)::DOUBLE FROM disbursements d WHERE {IN_PERIOD.format(col='d.date')} "
        f"AND {COMMUNITY.format(col='d.community')}",
        "disbursements",
        target="fund_used",
        better="neutral",
    ),
    Metric(
        "fund_used_town",
        "fund",
        {"zh": "所选期间内全镇的基金支出之和。", "en": "Fund spending in the period, town-wide."},
        "yuan",
        "flow",
        "town",
        f"SELECT coalesce(sum(amount_yuan), 0)::DOUBLE FROM disbursements WHERE {IN_PERIOD.format(col='date')}",
        "disbursements",
        shown=False,
    ),
    Metric(
        "usage_rate",
        "fund",
        {
            "zh": "同一期间内全镇使用资金 ÷ 全镇募集资金（全镇数据）。",
            "en": "Town-wide fund used ÷ town-wide fund raised in the same period.",
        },
        "percent",
        "rate",
        "town",
        source="donations",
        numerator="fund_used_town",
        denominator="fund_raised",
        better="neutral",
    ),
    Metric(
        "balance",
        "fund",
        {
            "zh": "基金设立以来至期间最后一天的募集总额减去使用总额（全镇数据）。",
            "en": "All money raised since the fund began, less all money used, up to the period's last day (town-wide).",
        },
        "yuan",
        "stock",
        "town",
        "SELECT ((SELECT coalesce(sum(amount_yuan), 0) FROM donations WHERE date <= $end::DATE) "
        "- (SELECT coalesce(sum(amount_yuan), 0) FROM disbursements WHERE date <= $end::DATE))::DOUBLE",
        "donations",
    ),
    # --- residents' voices (民意到实事): what residents asked for and what became of it
    Metric(
        "voices_collected",
        "voices",
        {
            "zh": "收集日期在所选期间内的居民诉求条数（四百走访、居民议事会、12345热线、线上等渠道；选择社区时：该社区的诉求）。",
            "en": "Resident voices collected in the period (四百走访 visits, residents' councils, the 12345 hotline, "
            "online, …; for a community: its own).",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(*) FROM {_VOICES}",
        "resident_voices",
    ),
    Metric(
        "voices_on_time",
        "voices",
        {
            "zh": "期间内收集的诉求中，期间最后一天前已答复、且答复日期距收集日期不超过承诺时限的条数。",
            "en": "Voices collected in the period answered by its last day, within the promise of their collection.",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(*) FROM {_VOICES} AND {ON_TIME}",
        "resident_voices",
        shown=False,
    ),
    Metric(
        "voices_due",
        "voices",
        {
            "zh": "期间内收集的诉求中，到期间最后一天已答复或已超过承诺时限的条数（仍在时限内、尚未答复的不计）。",
            "en": "Voices collected in the period that were answered by its last day or whose promise had run out by "
            "then (those still within the promise and unanswered are not judged yet).",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(*) FROM {_VOICES} AND {DUE}",
        "resident_voices",
        shown=False,
    ),
    Metric(
        "voices_answered_in_time",
        "voices",
        {
            "zh": f"按时答复诉求数 ÷ 应答复诉求数：期间内收集的诉求中，在承诺时限（默认{VOICE_PROMISE_DAYS}天，"
            "可在目标表中按年设定“诉求答复承诺时限（天）”）内答复的比例。仍在时限内、尚未答复的诉求不计入；"
            "未填答复日期的视为未答复。",
            "en": "Voices answered within the promise ÷ voices due an answer: of the voices collected in the period, "
            f"the share answered within the town's promise ({VOICE_PROMISE_DAYS} days unless the targets sheet sets "
            "voice_promise_days for the year). Voices still within the promise and unanswered are not judged yet; "
            "a voice with no answer date is not answered.",
        },
        "percent",
        "rate",
        "community",
        source="resident_voices",
        numerator="voices_on_time",
        denominator="voices_due",
        target="voices_answered_in_time",
    ),
    Metric(
        "voices_became_projects",
        "voices",
        {
            "zh": "期间内收集、已填写所转化项目编号的诉求条数。",
            "en": "Voices collected in the period that name the project they became.",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(*) FROM {_VOICES} AND v.project_id IS NOT NULL",
        "resident_voices",
        shown=False,
    ),
    Metric(
        "voices_to_projects",
        "voices",
        {
            "zh": "期间内收集的诉求中，已转化为项目（填写了项目编号）的比例（取最新记录，不随截至日期回溯）。",
            "en": "Of the voices collected in the period, the share that became a project (they name it; the latest "
            "record, not rolled back to the as-of date).",
        },
        "percent",
        "rate",
        "community",
        source="resident_voices",
        numerator="voices_became_projects",
        denominator="voices_collected",
    ),
    Metric(
        "voice_projects_completed",
        "voices",
        {
            "zh": "至少一条居民诉求转化而成、状态为“已完成”且完成日期在所选期间内的项目数（多条诉求对应同一项目只计一次；"
            "选择社区时：该社区的项目）。",
            "en": "Projects that at least one resident voice became, completed in the period (one project however "
            "many voices it came from; for a community: its projects).",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(*) FROM {_VOICE_PROJECTS}",
        "resident_voices",
    ),
    Metric(
        "voice_days_to_completion",
        "voices",
        {
            "zh": "上述项目从最早一条相关诉求的收集日期到项目完成日期的天数的中位数。",
            "en": "For those projects, the median number of days from the collection of the first voice behind each "
            "to its completion.",
        },
        "decimal",
        "stock",
        "community",
        "SELECT median(date_diff('day', f.first_date, p.completed_date))::DOUBLE FROM projects p JOIN "
        "(SELECT project_id, min(collected_date) AS first_date FROM resident_voices WHERE project_id IS NOT NULL "
        f"GROUP BY ALL) f USING (project_id) WHERE {DONE} AND {COMMUNITY.format(col='p.community')}",
        "resident_voices",
        better="down",
    ),
    Metric(
        "voices_asked",
        "voices",
        {
            "zh": "期间内收集、已填写回访满意度的诉求条数。",
            "en": "Voices collected in the period whose follow-up satisfaction is recorded.",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(*) FROM {_VOICES} AND {_ASKED}",
        "resident_voices",
        shown=False,
    ),
    Metric(
        "voices_satisfied",
        "voices",
        {
            "zh": "上述诉求中回访满意度为“满意”或“基本满意”的条数。",
            "en": "Of those, the voices whose follow-up said satisfied or basically satisfied.",
        },
        "count",
        "flow",
        "community",
        f"SELECT count(*) FROM {_VOICES} AND {_SATISFIED}",
        "resident_voices",
        shown=False,
    ),
    Metric(
        "voices_satisfaction",
        "voices",
        {
            "zh": "期间内收集并已回访的诉求中，回访满意度为“满意”或“基本满意”的比例（未回访的不计）。",
            "en": "Of the voices collected in the period and followed up, the share satisfied or basically satisfied "
            "(voices nobody asked are not counted).",
        },
        "percent",
        "rate",
        "community",
        source="resident_voices",
        numerator="voices_satisfied",
        denominator="voices_asked",
        target="voices_satisfaction",
    ),
    Metric(
        "voice_promise_days",
        "voices",
        {
            "zh": f"镇里承诺答复居民诉求的天数：目标表中该年的“诉求答复承诺时限（天）”，未设定时为{VOICE_PROMISE_DAYS}天。",
            "en": "The days within which the town promises to answer a voice: the targets sheet's "
            f"voice_promise_days for the year, else {VOICE_PROMISE_DAYS}.",
        },
        "decimal",
        "stock",
        "town",
        f"SELECT {PROMISE}::DOUBLE",
        "resident_voices",
        target="voice_promise_days",
        shown=False,
    ),
)

METRICS: dict[str, Metric] = {m.code: m for m in CATALOGUE}
GROUPS = ("programme", "training", "mentoring", "fund", "voices")
TARGET_CODES = tuple(m.target for m in CATALOGUE if m.target)  # = the targets sheet's metric codes
_SOURCE_DATES = {  # which dates put a table's records in a period
    "projects": ("completed_date", "start_date"),
    "meetings": ("date",),
    "workers": ("joined_date",),
    "training_sessions": ("date",),
    "mentorships": ("start_date",),
    "donations": ("date",),
    "disbursements": ("date",),
    "resident_voices": ("collected_date",),
}


def shown(group: str | None = None) -> tuple[Metric, ...]:
    """The metrics shown as figures (of one group), in catalogue order."""
    return tuple(m for m in CATALOGUE if m.shown and (group is None or m.group == group))


# The sheets' 指标 columns (etl/kinds.py, below the catalogue) take these codes, named as the catalogue names them.
assert set(TARGET_CODES) == set(kinds.METRICS), "the targets sheet measures the catalogue's target codes"
assert {m.code for m in shown()} == set(kinds.NOTE_METRICS), "a note may explain every shown figure, no other"


def lines(group: str) -> list[tuple[str, ...]]:
    """A group's shown metrics as the lines a page draws them on: one line per programme, else all together."""
    out: dict[str, list[str]] = {}
    for m in shown(group):
        out.setdefault(m.line or group, []).append(m.code)
    return [tuple(codes) for codes in out.values()]


# Each programme's completions as the catalogue counts them (and measures against their target): a programme's
# burn-up is drawn against that metric's target, never another programme's; a programme not named has no target.
COMPLETED = {"group_governance": "projects_completed", "micro_renewal": "micro_renewal_completed"}


# --- periods


@dataclass(frozen=True)
class Period:
    """1 January of `year` (or of the first record, for all years) up to `end`."""

    start: date
    end: date
    year: int | None  # None: all years
    partial: bool  # a year that is not over on the as-of date

    @classmethod
    def of(cls, year: int | None, as_of: date) -> Period:
        if year is None:
            return cls(EPOCH, as_of, None, False)
        last = date(year, 12, 31)
        end = min(last, as_of)
        return cls(date(year, 1, 1), end, year, end < last)

    @property
    def started(self) -> bool:
        return self.start <= self.end

    @property
    def judged(self) -> bool:
        """Whether the period is measured against its targets: a whole year, all years, or a year that is not over
        once its first quarter has passed (the end on or after 31 March). The one rule for a part-year, on every
        tile, list, chart and slide: before then no community is "below target" and no figure is given as a share
        of its target or its pace (training comes in sessions, gifts in campaigns: a month in, nobody is behind)."""
        return not self.partial or self.year is None or self.end >= date(self.year, 3, 31)

    def elapsed(self) -> float:
        """The share of the year behind the period (1.0 for a whole year)."""
        if self.year is None or not self.partial:
            return 1.0
        days = 366 if calendar.isleap(self.year) else 365
        return max((self.end - self.start).days + 1, 0) / days

    def year_before(self) -> Period | None:
        """The same dates one year earlier (29 February becomes the 28th); None for all years."""
        if self.year is None:
            return None
        try:
            end = self.end.replace(year=self.end.year - 1)
        except ValueError:  # 29 February
            end = date(self.end.year - 1, 2, 28)
        return Period(date(self.year - 1, 1, 1), end, self.year - 1, self.partial)


def report_year(day: date, years: Iterable[int]) -> int:
    """The year a report as of `day` is about, and the year the app opens on: `day`'s year, but during its first
    quarter the year before when the data hold that year (`years`), when last year's final figures are what gets
    reported: a forum held in January 2024 shows 2023's results."""
    return day.year - 1 if day.month <= 3 and day.year - 1 in {int(y) for y in years} else day.year


# --- computing


def _statement(metrics: tuple[Metric, ...], n_periods: int) -> str:
    """One SELECT of every metric's SQL for each period ($start0/$end0, $start1/$end1, …): one round trip."""
    rows = []
    for i in range(n_periods):
        columns = [f"{i} AS _i"]
        for m in metrics:
            sql = m.sql.replace("$start", f"$start{i}").replace("$end", f"$end{i}")
            if m.scope == "town":
                sql = sql.replace("$community::VARCHAR", "NULL::VARCHAR")
            columns.append(f"({sql}) AS {m.code}")
        for table, cols in _SOURCE_DATES.items():
            held = " OR ".join(f"{c} BETWEEN $start{i}::DATE AND $end{i}::DATE" for c in cols)
            columns.append(f"EXISTS (SELECT 1 FROM {table} WHERE {held}) AS _held_{table}")
        rows.append("SELECT " + ", ".join(columns))
    return " UNION ALL ".join(rows) + " ORDER BY _i"


def values(con: Con, periods: list[Period], community: str | None = None) -> list[dict[str, float | None]]:
    """Every metric's value in each period (rates divided here, in their own scope); held_<table> flags too."""
    computed = tuple(m for m in CATALOGUE if m.sql)
    params: dict[str, object] = {"community": community}
    for i, p in enumerate(periods):
        params[f"start{i}"], params[f"end{i}"] = p.start, p.end
    sql = _statement(computed, len(periods))
    if "$community" not in sql:
        params.pop("community")
    frame = con.execute(sql, params).df()
    out = []
    for row in frame.to_dict("records"):
        got: dict[str, float | None] = {}
        for m in CATALOGUE:
            if m.kind == "rate":
                num, den = row[m.numerator], row[m.denominator]
                got[m.code] = None if pd.isna(den) or not den else float(num) / float(den)
            else:
                got[m.code] = None if pd.isna(row[m.code]) else float(row[m.code])
        got.update({k: bool(v) for k, v in row.items() if k.startswith("_held_")})
        out.append(got)
    return out


def targets(con: Con, year: int | None) -> dict[str, float]:
    """The year's targets by targets.metric code ({} for all years)."""
    if year is None:
        return {}
    rows = con.execute("SELECT metric, target FROM targets WHERE year = $year", {"year": year}).fetchall()
    return {metric: float(target) for metric, target in rows}


def figures(con: Con, *, year: int | None, as_of: date, community: str | None = None) -> pd.DataFrame:
    """One row per shown metric for the period of `year` as of `as_of` (and `community`), in catalogue order.

    Columns: code, group, unit, scope (the scope the value is in: community or town), value, previous (same dates
    a year before; None when that period holds no records of the metric's kind), target (full year), expected
    (the target's pace for a year that is not over), target_year, numerator, denominator, start, end, partial,
    judged (Period.judged: measured against its target yet).
    """
    period = Period.of(year, as_of)
    before = period.year_before()
    now, *earlier = values(con, [period, before] if before else [period], community)
    prior = earlier[0] if earlier else None
    goals = targets(con, year)
    rows = []
    for m in shown():
        in_scope = "town" if m.scope == "town" or community is None else "community"
        # a town-wide target measures a community's figure only when it is a rate (coverage), or the figure is
        # the town's own (a town-wide metric shown as such)
        goal = (
            goals.get(m.target) if m.target and (community is None or m.kind == "rate" or m.scope == "town") else None
        )
        previous = None
        if prior is not None and prior.get(f"_held_{m.source}", False):
            previous = prior[m.code]
        rows.append(
            {
                "code": m.code,
                "group": m.group,
                "unit": m.unit,
                "scope": in_scope,
                "value": now[m.code] if period.started else None,
                "previous": previous,
                "target": goal,
                # a flow's full-year target is paced by the share of the year behind the period; a rate or a
                # level has no pace (coverage 19 days in is not "five times ahead")
                "expected": None if goal is None else (goal * period.elapsed() if m.kind == "flow" else goal),
                "target_year": year if goal is not None else None,
                "numerator": now[m.numerator] if m.numerator else None,
                "denominator": now[m.denominator] if m.denominator else None,
                "start": period.start if year is not None else None,
                "end": period.end,
                "partial": period.partial,
                "judged": period.judged,  # measured against its target yet (Period.judged)
            }
        )
    frame = pd.DataFrame(rows)
    frame["target_year"] = frame["target_year"].astype("Int64")
    return frame


# --- the rows behind a figure (查看明细), and the imports they came from

_P = COMMUNITY.format(col="p.community")
_PROJECT_ROWS = "SELECT p.* FROM projects p WHERE {where} AND " + DONE + " AND " + _P
_PERIOD_COUNTS = ATTENDANCE_COUNTS.format(start="$start::DATE")
_SESSION_ROWS = f"""
    SELECT s.*, coalesce(n.person_times, 0) AS person_times
    FROM training_sessions s
    LEFT JOIN (SELECT session_id, sum(person_times)::BIGINT AS person_times FROM ({_PERIOD_COUNTS}) GROUP BY ALL) n
           USING (session_id)
    WHERE {SESSIONS} ORDER BY s.date, s.session_id
"""
_ROSTER_ROWS = f"""
    SELECT w.*, w.worker_id IN ({TRAINED_IDS}) AS trained
    FROM workers w WHERE {ROSTER} ORDER BY trained, w.community, w.worker_id
"""
_PAIR_ROWS = f"SELECT m.* FROM mentorships m WHERE {PAIRS} ORDER BY m.mentor_id, m.mentee_id"
_DONATION_ROWS = f"SELECT * FROM donations WHERE {IN_PERIOD.format(col='date')} ORDER BY date, donation_id"
_SPENDING_ROWS = (
    f"SELECT * FROM disbursements d WHERE {IN_PERIOD.format(col='d.date')} AND {COMMUNITY.format(col='d.community')}"
    " ORDER BY d.date, d.disbursement_id"
)
_ATTENDANCE_ROWS = f"""
    SELECT a.session_id, s.date, s.title, a.worker_id, a._batch_id
    FROM attendance a JOIN training_sessions s USING (session_id)
    WHERE {IN_PERIOD.format(col="s.date")}
      AND ($community::VARCHAR IS NULL
           OR a.worker_id IN (SELECT w.worker_id FROM workers w WHERE w.community = $community::VARCHAR))
    ORDER BY s.date, a.session_id, a.worker_id
"""
# The first $limit of those rows: only the attendance of the first sessions (in order) that hold them is read, and
# of the batches their rows came from (rows are stored in import order, so the scan skips the other batches' blocks).
_FIRST_ATTENDANCE_ROWS = f"""
    WITH first AS (
        SELECT session_id, _batch_id FROM (
            SELECT session_id, _batch_id,
                   sum(person_times) OVER (ORDER BY date, session_id, _batch_id ROWS UNBOUNDED PRECEDING)
                   - person_times AS before
            FROM ({_PERIOD_COUNTS}))
        WHERE before < $limit)
    SELECT a.session_id, s.date, s.title, a.worker_id, a._batch_id
    FROM attendance a
    SEMI JOIN first f ON f.session_id = a.session_id AND f._batch_id IS NOT DISTINCT FROM a._batch_id
    JOIN training_sessions s USING (session_id)
    WHERE ($community::VARCHAR IS NULL
           OR a.worker_id IN (SELECT w.worker_id FROM workers w WHERE w.community = $community::VARCHAR))
    ORDER BY s.date, a.session_id, a.worker_id
    LIMIT $limit
"""


@dataclass(frozen=True)
class Records:
    """Stored rows behind a figure: the table, its key, and a SELECT of them for the period (with the `_batch_id`
    each row carries, which `records` leaves out and `sources` counts)."""

    table: str
    key: tuple[str, ...]
    sql: str
    counts: str | None = None  # (_batch_id, person_times) per session: how many rows, from which batch, cheaply
    first: str | None = None  # the first $limit rows, cheaply


_VOICE_ROWS = "SELECT v.* FROM " + _VOICES + " AND {where} ORDER BY v.collected_date, v.voice_id"
_VOICE_PROJECT_ROWS = _PROJECT_ROWS.format(where=_FROM_VOICES) + " ORDER BY p.completed_date, p.project_id"
_VOICES_KEY = ("resident_voices", ("voice_id",))
_PROJECTS = ("projects", ("project_id",))
RECORDS: dict[str, tuple[Records, ...]] = {
    "projects_completed": (Records(*_PROJECTS, _PROJECT_ROWS.format(where="program = 'group_governance'")),),
    "group_governance_themes": (Records(*_PROJECTS, _PROJECT_ROWS.format(where="program = 'group_governance'")),),
    "promotion_meetings": (
        Records(
            "meetings",
            ("meeting_id",),
            f"SELECT * FROM meetings WHERE type = 'promotion' AND {IN_PERIOD.format(col='date')} ORDER BY date",
        ),
    ),
    "beautiful_community_district_plus": (
        Records(
            *_PROJECTS,
            _PROJECT_ROWS.format(where="program = 'beautiful_community' AND level IN ('district', 'municipal')"),
        ),
    ),
    "beautiful_community_municipal": (
        Records(*_PROJECTS, _PROJECT_ROWS.format(where="program = 'beautiful_community' AND level = 'municipal'")),
    ),
    "micro_renewal_completed": (Records(*_PROJECTS, _PROJECT_ROWS.format(where="program = 'micro_renewal'")),),
    "micro_renewal_resident_proposed": (
        Records(*_PROJECTS, _PROJECT_ROWS.format(where="program = 'micro_renewal' AND resident_proposed")),
    ),
    "trained": (Records("workers", ("worker_id",), _ROSTER_ROWS),),
    "training_coverage": (Records("workers", ("worker_id",), _ROSTER_ROWS),),
    "training_hours": (Records("training_sessions", ("session_id",), _SESSION_ROWS),),
    "sessions": (Records("training_sessions", ("session_id",), _SESSION_ROWS),),
    "person_times": (
        Records("training_sessions", ("session_id",), _SESSION_ROWS),
        Records("attendance", ("session_id", "worker_id"), _ATTENDANCE_ROWS, _PERIOD_COUNTS, _FIRST_ATTENDANCE_ROWS),
    ),
    "mentors": (Records("mentorships", ("mentor_id", "mentee_id"), _PAIR_ROWS),),
    "mentees": (Records("mentorships", ("mentor_id", "mentee_id"), _PAIR_ROWS),),
    "mentoring_activities": (Records("mentorships", ("mentor_id", "mentee_id"), _PAIR_ROWS),),
    "fund_raised": (Records("donations", ("donation_id",), _DONATION_ROWS),),
    "fund_used": (Records("disbursements", ("disbursement_id",), _SPENDING_ROWS),),
    "usage_rate": (
        Records("disbursements", ("disbursement_id",), _SPENDING_ROWS),
        Records("donations", ("donation_id",), _DONATION_ROWS),
    ),
    "balance": (
        Records("donations", ("donation_id",), "SELECT * FROM donations WHERE date <= $end::DATE ORDER BY date"),
        Records(
            "disbursements", ("disbursement_id",), "SELECT * FROM disbursements WHERE date <= $end::DATE ORDER BY date"
        ),
    ),
    "voices_collected": (Records(*_VOICES_KEY, _VOICE_ROWS.format(where="TRUE")),),
    "voices_answered_in_time": (Records(*_VOICES_KEY, _VOICE_ROWS.format(where=DUE)),),
    "voices_to_projects": (Records(*_VOICES_KEY, _VOICE_ROWS.format(where="TRUE")),),
    "voice_projects_completed": (Records(*_PROJECTS, _VOICE_PROJECT_ROWS),),
    "voice_days_to_completion": (Records(*_PROJECTS, _VOICE_PROJECT_ROWS),),
    "voices_satisfaction": (Records(*_VOICES_KEY, _VOICE_ROWS.format(where=_ASKED)),),
}
assert set(RECORDS) == {m.code for m in shown()}, "every shown metric names the rows behind it"


def _params(sql: str, period: Period, community: str | None, scope: str) -> dict[str, object]:
    given = {"start": period.start, "end": period.end, "community": None if scope == "town" else community}
    return {k: v for k, v in given.items() if f"${k}" in sql}


def records(
    con: Con,
    code: str,
    *,
    year: int | None,
    as_of: date,
    community: str | None = None,
    part: int = 0,
    limit: int | None = None,
) -> pd.DataFrame:
    """The stored rows behind metric `code` for the period (part 1 of person-times: its attendance rows)."""
    spec = RECORDS[code][part]
    rows = spec.sql if limit is None or spec.first is None else spec.first
    params = _params(rows, Period.of(year, as_of), community, METRICS[code].scope)
    sql = f"SELECT * EXCLUDE (_batch_id) FROM ({rows})"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
        if "$limit" in rows:
            params["limit"] = int(limit)
    return con.execute(sql, params).df()


def count_records(
    con: Con, code: str, *, year: int | None, as_of: date, community: str | None = None, part: int = 0
) -> int:
    """How many stored rows are behind metric `code` for the period."""
    spec = RECORDS[code][part]
    sql = f"SELECT count(*) FROM ({spec.sql})"
    if spec.counts:
        sql = f"SELECT coalesce(sum(person_times), 0)::BIGINT FROM ({spec.counts})"
    params = _params(sql, Period.of(year, as_of), community, METRICS[code].scope)
    return con.execute(sql, params).fetchall()[0][0]


def sources(con: Con, code: str, *, year: int | None, as_of: date, community: str | None = None) -> pd.DataFrame:
    """The imports the rows behind `code` came from: batch_id, file_name, imported_at, rows (in import order).

    A stored row comes from the batch that inserted it or last changed it (its `_batch_id`); rows written outside
    an import carry none and are not counted.
    """
    period = Period.of(year, as_of)
    parts, params = [], {}
    for i, spec in enumerate(RECORDS[code]):
        sql = f"SELECT _batch_id AS batch_id, count(*) AS n FROM ({spec.sql}) GROUP BY ALL"
        if spec.counts:
            sql = f"SELECT _batch_id AS batch_id, sum(person_times) AS n FROM ({spec.counts}) GROUP BY ALL"
        for name, value in _params(sql, period, community, METRICS[code].scope).items():
            sql = sql.replace(f"${name}", f"${name}{i}")
            params[f"{name}{i}"] = value
        parts.append(sql)
    union = " UNION ALL ".join(parts)
    return con.execute(
        f"""
        SELECT u.batch_id, b.file_name, b.imported_at, sum(u.n)::BIGINT AS rows
        FROM ({union}) u JOIN import_batches b USING (batch_id)
        GROUP BY ALL ORDER BY min(b.seq)
        """,
        params,
    ).df()


def readme_section() -> str:
    """The README's "How each figure is counted" table, generated from the catalogue (a test keeps them equal)."""
    lines = [
        "| figure | 指标 | unit | kind | scope | target | how it is counted |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in shown():
        scope = "town-wide" if m.scope == "town" else "town or one community"
        lines.append(
            f"| {m.label('en')} (`{m.code}`) | {m.label('zh')} | {m.unit} | {m.kind} | {scope} | "
            f"{m.target or '—'} | {m.explain('en')} |"
        )
    return "\n".join(lines)
