"""The spreadsheet contract: one declaration per kind drives reading, validation, loading and the template."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from i18n import t
from i18n.zh import LABELS

# Column value types understood by etl.values.
ID, TEXT, ENUM, DATE, AMOUNT, INT, NUMBER, BOOL, YEAR, TARGET = (
    "id",
    "text",
    "enum",
    "date",
    "amount",
    "int",
    "number",
    "bool",
    "year",
    "target",
)


@dataclass(frozen=True)
class Column:
    """One column of a kind: its stored name, Chinese header, type and rules."""

    name: str
    zh: str
    type: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: dict[str, str] = field(default_factory=dict)  # code -> Chinese label
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    default: object = None  # stored when a new row leaves the cell blank
    choice_aliases: dict[str, str] = field(default_factory=dict)  # other words for a choice -> its code
    max_chars: int | None = None  # text longer than this is cut to it, with a warning at the cell

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header text that names this column."""
        return (self.name, self.zh, *self.aliases)


@dataclass(frozen=True)
class Reference:
    """A column whose value must be a key of another kind (in the file or the warehouse)."""

    column: str
    kind: str


# Rules on a row beyond its cells' own (etl.validate applies each kind's, in order, once its cells are parsed).


@dataclass(frozen=True)
class RequiredWhen:
    """`column` must be filled in a row whose `when` column holds `equals` (the error, `key`, is put at `column`,
    or at `when` if the sheet has no such column)."""

    column: str
    when: str
    equals: str
    key: str


@dataclass(frozen=True)
class NotBefore:
    """`column` may not be earlier than `other` in the same row (rows lacking either are not judged)."""

    column: str
    other: str
    key: str


@dataclass(frozen=True)
class Percent:
    """`column` is a fraction in rows whose `when` column holds `equals`, which people also write as a
    percentage: a value above 1 there is one (100 and 1 both mean all), and is stored divided by 100."""

    column: str
    when: str
    equals: str


@dataclass(frozen=True)
class OnlyWhen:
    """`column` may be filled only in rows whose `when` column holds one of `equals` (the error, `key`, is put at
    `column`)."""

    column: str
    when: str
    equals: tuple[str, ...]
    key: str


@dataclass(frozen=True)
class AtMost:
    """`column`'s text may hold at most `chars` characters (an error at the cell, nothing cut: a summary is the
    analyst's to shorten)."""

    column: str
    chars: int
    key: str


@dataclass(frozen=True)
class NoPersonalData:
    """An error at each cell of `column` holding something like personal data: an 11-digit mobile number or an
    ID-card-like number (PERSONAL_PATTERNS). Nothing of the file is stored until it is removed."""

    column: str
    key: str


@dataclass(frozen=True)
class NotAfterAsOf:
    """The dates of `columns` may not be later than the data's as-of date: the 数据截至 declared in the same workbook
    (its metadata sheet), else today (checked across the workbook's sheets, etl.validate.check_across)."""

    columns: tuple[str, ...]
    key: str


@dataclass(frozen=True)
class Known:
    """`column`'s value must be one the town already knows: a value of one of `among` ((kind, column) pairs), in the
    file or the warehouse. Not judged while nothing is known (a first file of this kind alone)."""

    column: str
    among: tuple[tuple[str, str], ...]
    key: str


@dataclass(frozen=True)
class ReferencedAs:
    """The row that `column` references (a key of `kind`, see Reference) must hold, in its `attribute`, one of the
    codes `allowed()` gives (read when checked: the town can widen it, see VOICE_PROGRAMS)."""

    column: str
    kind: str
    attribute: str
    allowed: Callable[[], tuple[str, ...]]
    key: str


Rule = RequiredWhen | NotBefore | Percent | OnlyWhen | AtMost | NoPersonalData
# Rules that need the other sheets of the file or the warehouse: etl.validate.check_across applies them.
AcrossRule = NotAfterAsOf | Known | ReferencedAs


@dataclass(frozen=True)
class Kind:
    """One kind of record: one sheet, one warehouse table."""

    name: str
    zh: str
    sheet_names: tuple[str, ...]
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = ()
    rules: tuple[Rule, ...] = ()
    across: tuple[AcrossRule, ...] = ()

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


# Bounds that catch slips of the keyboard (and keep values inside the warehouse's column types).
MAX_YUAN = 10_000_000_000  # 100亿元
MAX_PEOPLE = 10_000_000
NOTE_CHARS = 200  # a note's words at most, from a workbook as on the Data page's note forms (max_chars=200)
NAME_CHARS = 40  # a declared name (the town's, the fund's, …) at most: it stands in titles and file names

# The codes' Chinese labels are text: the catalogue keeps them (i18n/zh.py LABELS), the contract accepts them.
PROGRAMS = LABELS["program"]
LEVELS = LABELS["level"]
STATUSES = LABELS["status"]
ROLES = LABELS["role"]
FORMATS = LABELS["format"]
MEETING_TYPES = LABELS["type"]
DONOR_TYPES = LABELS["donor_type"]
CATEGORIES = LABELS["category"]

# Resident voices (居民诉求): how a voice came in, what it is about, what became of it, and the follow-up.
VOICE_CHANNELS = LABELS["voice_channel"]
VOICE_CHANNEL_ALIASES = {"走访": "visit", "议事会": "council", "热线": "hotline", "12345": "hotline", "网上": "online"}
# The categories a voice is filed under. The town extends them by adding a code and its label to i18n/zh.py LABELS
# ["voice_category"] (one line, and its English in i18n/en.py LABELS; the template's dropdown, the validator, the
# exports and the pages all read them); until then 其他 (other) holds the rest.
VOICE_CATEGORIES = LABELS["voice_category"]
VOICE_STATUSES = LABELS["voice_status"]
SATISFACTION = LABELS["satisfaction"]
SUMMARY_CHARS = 200  # a voice's summary at most
# A voice may become a project of these programmes: micro-renewals, unless the town allows more by setting
# DASHBOARD_VOICE_PROGRAMS to programme codes separated by commas (e.g. "micro_renewal,beautiful_community").
VOICE_PROGRAMS_ENV = "DASHBOARD_VOICE_PROGRAMS"
VOICE_PROGRAMS_DEFAULT = ("micro_renewal",)


def voice_programs() -> tuple[str, ...]:
    """The programmes a voice may become a project of (VOICE_PROGRAMS_ENV, else micro-renewals only)."""
    given = [p.strip() for p in os.environ.get(VOICE_PROGRAMS_ENV, "").split(",") if p.strip() in PROGRAMS]
    return tuple(given) or VOICE_PROGRAMS_DEFAULT


# Personal data a summary must not hold: an 11-digit mobile number, an ID-card-like number (17 digits and a check
# digit or X). Found, they are an error at the cell (issue 26: "a phone number in a summary ... stores nothing").
PERSONAL_PATTERNS = (
    ("phone", re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")),
    ("id_card", re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")),
)


def _named(*codes: str) -> dict[str, str]:
    """Metric codes with their Chinese names, as the metric catalogue names them (i18n "metric.<code>.name")."""
    return {code: t(f"metric.{code}.name", "zh") for code in codes}


# The targets sheet's metric codes (each the code of the catalogue figure it measures, metrics.TARGET_CODES); the
# names of earlier templates are still understood (the column's choice_aliases).
METRICS = _named(
    "projects_completed",
    "micro_renewal_completed",
    "training_coverage",
    "training_hours",
    "person_times",
    "fund_raised",
    "fund_used",
    "voices_answered_in_time",
    "voices_satisfaction",
    "voice_promise_days",
)

# The figures a note (说明备注) can explain: every metric the catalogue shows (metrics.shown; the catalogue checks
# the two agree when it is imported).
NOTE_METRICS = _named(
    "projects_completed",
    "group_governance_themes",
    "promotion_meetings",
    "beautiful_community_district_plus",
    "beautiful_community_municipal",
    "micro_renewal_completed",
    "micro_renewal_resident_proposed",
    "trained",
    "training_coverage",
    "training_hours",
    "person_times",
    "sessions",
    "mentors",
    "mentees",
    "mentoring_activities",
    "fund_raised",
    "fund_used",
    "usage_rate",
    "balance",
    "voices_collected",
    "voices_answered_in_time",
    "voices_to_projects",
    "voice_projects_completed",
    "voice_days_to_completion",
    "voices_satisfaction",
)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "projects",
            "项目",
            ("项目", "项目台账", "项目清单"),
            (
                Column("project_id", "项目编号", ID, required=True),
                Column("name", "项目名称", TEXT, required=True),
                Column("program", "项目类型", ENUM, required=True, choices=PROGRAMS),
                Column("theme", "主题", TEXT),
                Column("level", "级别", ENUM, choices=LEVELS),
                Column("community", "社区", TEXT, required=True, aliases=("居委", "居民区")),
                Column("status", "状态", ENUM, required=True, choices=STATUSES, aliases=("项目状态",)),
                Column("start_date", "开始日期", DATE),
                Column("completed_date", "完成日期", DATE),
                Column("budget_yuan", "预算(元)", AMOUNT, aliases=("预算", "budget"), min=0, max=MAX_YUAN),
                Column("residents_involved", "参与居民数", INT, min=0, max=MAX_PEOPLE),
                Column("resident_proposed", "居民提出", BOOL),
            ),
            ("project_id",),
            rules=(
                RequiredWhen("completed_date", when="status", equals="completed", key="cell.completed_needs_date"),
                NotBefore("completed_date", other="start_date", key="cell.completed_before_start"),
            ),
        ),
        Kind(
            "workers",
            "社工名册",
            ("社工名册", "人员名册", "名册"),
            (
                Column("worker_id", "人员编号", ID, required=True, aliases=("工号",)),
                Column("name", "姓名", TEXT, required=True),
                Column("community", "社区", TEXT, required=True, aliases=("居委", "居民区")),
                Column("role", "岗位", ENUM, required=True, choices=ROLES, aliases=("职务",)),
                Column("joined_date", "入职日期", DATE),
                Column("active", "在岗", BOOL, default=True),
            ),
            ("worker_id",),
        ),
        Kind(
            "training_sessions",
            "培训场次",
            ("培训场次", "培训"),
            (
                Column("session_id", "场次编号", ID, required=True),
                Column("title", "培训主题", TEXT, required=True),
                Column("date", "日期", DATE, required=True, aliases=("培训日期",)),
                Column("hours", "学时", NUMBER, required=True, min=0, max=24, min_exclusive=True),
                Column("format", "形式", ENUM, choices=FORMATS, aliases=("培训形式",)),
                Column("organizer", "主办单位", TEXT),
                Column("location", "地点", TEXT),
            ),
            ("session_id",),
        ),
        Kind(
            "attendance",
            "培训签到",
            ("培训签到", "签到表", "签到"),
            (
                Column("session_id", "场次编号", ID, required=True),
                Column("worker_id", "人员编号", ID, required=True, aliases=("工号",)),
            ),
            ("session_id", "worker_id"),
            (Reference("session_id", "training_sessions"), Reference("worker_id", "workers")),
        ),
        Kind(
            "mentorships",
            "师徒结对",
            ("师徒结对", "结对"),
            (
                Column("mentor_id", "师傅编号", ID, required=True),
                Column("mentee_id", "徒弟编号", ID, required=True),
                Column("start_date", "结对日期", DATE),
                Column("activities_done", "完成活动数", INT, min=0, max=10),
            ),
            ("mentor_id", "mentee_id"),
            (Reference("mentor_id", "workers"), Reference("mentee_id", "workers")),
        ),
        Kind(
            "meetings",
            "会议",
            ("会议", "会议记录"),
            (
                Column("meeting_id", "会议编号", ID, required=True),
                Column("date", "日期", DATE, required=True, aliases=("会议日期",)),
                Column("type", "类型", ENUM, choices=MEETING_TYPES, aliases=("会议类型",)),
                Column("topic", "主题", TEXT),
                Column("attendees", "参会人数", INT, min=0, max=MAX_PEOPLE),
            ),
            ("meeting_id",),
        ),
        Kind(
            "donations",
            "捐赠",
            ("捐赠", "捐赠记录", "募集"),
            (
                Column("donation_id", "捐赠编号", ID, required=True),
                Column("date", "捐赠日期", DATE, required=True, aliases=("日期",)),
                Column("donor", "捐赠方", TEXT),
                Column("donor_type", "捐赠方类型", ENUM, choices=DONOR_TYPES),
                Column(
                    "amount_yuan",
                    "金额(元)",
                    AMOUNT,
                    required=True,
                    aliases=("金额", "amount"),
                    min=0,
                    min_exclusive=True,
                    max=MAX_YUAN,
                ),
                Column("channel", "渠道", TEXT),
            ),
            ("donation_id",),
        ),
        Kind(
            "disbursements",
            "资金使用",
            ("资金使用", "支出", "资金支出"),
            (
                Column("disbursement_id", "支出编号", ID, required=True),
                Column("date", "日期", DATE, required=True, aliases=("支出日期",)),
                Column(
                    "amount_yuan",
                    "金额(元)",
                    AMOUNT,
                    required=True,
                    aliases=("金额", "amount"),
                    min=0,
                    min_exclusive=True,
                    max=MAX_YUAN,
                ),
                Column("purpose", "用途", TEXT, required=True),
                Column("category", "类别", ENUM, choices=CATEGORIES),
                Column("project_id", "项目编号", ID),
                Column("community", "社区", TEXT),
                Column("approved_at", "审批会议", TEXT),
            ),
            ("disbursement_id",),
            (Reference("project_id", "projects"),),
        ),
        Kind(
            "targets",
            "目标",
            ("目标", "指标"),
            (
                Column(
                    "metric",
                    "指标",
                    ENUM,
                    required=True,
                    choices=METRICS,
                    choice_aliases={"完成项目数": "projects_completed", "完成微更新数": "micro_renewal_completed"},
                ),
                Column("year", "年份", YEAR, required=True),
                Column("target", "目标值", TARGET, required=True, min=0),
            ),
            ("metric", "year"),
            rules=(
                Percent("target", when="metric", equals="training_coverage"),
                Percent("target", when="metric", equals="voices_answered_in_time"),
                Percent("target", when="metric", equals="voices_satisfaction"),
            ),
        ),
        # What the data declares about itself: 数据截至, the date its figures are as of (the figures the town
        # published are as of 2024-01-31, though the last record is dated the 19th). The most recently imported
        # declaration counts (queries.as_of); with none, the as-of date is the latest record's. And the names the
        # town goes by, declared once here (declared.py): the town, its district, the fund, its own programmes.
        Kind(
            "metadata",
            "数据说明",
            ("数据说明", "元数据", "数据截至", "说明"),
            (
                Column("as_of", "数据截至", DATE, required=True, aliases=("截至日期", "统计截至", "数据截止")),
                Column("note", "备注", TEXT, max_chars=NOTE_CHARS),
                Column("town", "镇名", TEXT, aliases=("街镇", "镇（街道）"), max_chars=NAME_CHARS),
                Column("town_en", "镇名（英文）", TEXT, aliases=("town (English)",), max_chars=NAME_CHARS),
                Column("district", "所属区", TEXT, aliases=("区",), max_chars=NAME_CHARS),
                Column("district_en", "所属区（英文）", TEXT, aliases=("district (English)",), max_chars=NAME_CHARS),
                Column("fund", "基金名称", TEXT, aliases=("社区基金名称", "基金"), max_chars=NAME_CHARS),
                Column("fund_en", "基金名称（英文）", TEXT, aliases=("fund (English)",), max_chars=NAME_CHARS),
                Column("mentoring", "带教项目名称", TEXT, aliases=("带教品牌",), max_chars=NAME_CHARS),
                Column(
                    "mentoring_en", "带教项目名称（英文）", TEXT, aliases=("mentoring (English)",), max_chars=NAME_CHARS
                ),
                Column("training", "培训项目名称", TEXT, aliases=("培训品牌",), max_chars=NAME_CHARS),
                Column(
                    "training_en", "培训项目名称（英文）", TEXT, aliases=("training (English)",), max_chars=NAME_CHARS
                ),
            ),
            ("as_of",),
        ),
        # A note that explains a figure ("8月暑期停课"): drawn on the charts of its metric, listed under its tile and
        # carried to the slides, the .pptx and the report while its date (or period) overlaps the one shown.
        # Not "说明": that is the template's instructions sheet, which the importer skips.
        Kind(
            "notes",
            "说明备注",
            ("说明备注", "图表备注", "指标备注"),
            (
                Column("note_id", "备注编号", ID, required=True),
                Column("date", "日期", DATE, required=True, aliases=("开始日期", "start_date")),
                Column("end_date", "结束日期", DATE),
                Column("metric", "指标", ENUM, required=True, choices=NOTE_METRICS),
                Column("community", "社区", TEXT, aliases=("居委", "居民区")),
                Column(
                    "text_zh", "备注内容", TEXT, required=True, aliases=("中文说明", "说明内容"), max_chars=NOTE_CHARS
                ),
                Column("text_en", "英文备注", TEXT, aliases=("English note", "英文说明"), max_chars=NOTE_CHARS),
            ),
            ("note_id",),
            rules=(NotBefore("end_date", other="date", key="cell.end_before_date"),),
        ),
        # What residents asked for (四百走访, 居民议事会, 12345 hotline, online) and what became of it: answered, a
        # project (a micro-renewal unless the town allows more: voice_programs), resolved or declined. One voice
        # becomes at most one project (a column); many voices may become the same project.
        Kind(
            "resident_voices",
            "居民诉求",
            ("居民诉求", "诉求", "民意诉求", "诉求台账"),
            (
                Column("voice_id", "诉求编号", ID, required=True),
                Column("collected_date", "收集日期", DATE, required=True, aliases=("受理日期",)),
                Column("community", "社区", TEXT, required=True, aliases=("居委", "居民区")),
                Column(
                    "channel",
                    "渠道",
                    ENUM,
                    choices=VOICE_CHANNELS,
                    choice_aliases=VOICE_CHANNEL_ALIASES,
                    aliases=("来源",),
                ),
                Column("category", "类别", ENUM, choices=VOICE_CATEGORIES, aliases=("诉求类别",)),
                Column("summary", "内容摘要", TEXT, aliases=("诉求内容", "摘要")),
                Column("publishable", "摘要可公开", BOOL, default=False, aliases=("可公开",)),
                Column("status", "状态", ENUM, required=True, choices=VOICE_STATUSES, aliases=("办理状态",)),
                Column("answered_date", "答复日期", DATE),
                Column("resolved_date", "办结日期", DATE),
                Column("project_id", "项目编号", ID),
                Column("decline_reason", "不予采纳理由", TEXT, aliases=("不采纳理由",)),
                Column("satisfaction", "回访满意度", ENUM, choices=SATISFACTION, aliases=("满意度",)),
            ),
            ("voice_id",),
            (Reference("project_id", "projects"),),
            rules=(
                RequiredWhen("answered_date", when="status", equals="answered", key="cell.voice_answered_needs_date"),
                RequiredWhen("project_id", when="status", equals="project", key="cell.voice_project_needs_id"),
                RequiredWhen("resolved_date", when="status", equals="resolved", key="cell.voice_resolved_needs_date"),
                RequiredWhen(
                    "decline_reason", when="status", equals="declined", key="cell.voice_declined_needs_reason"
                ),
                OnlyWhen("project_id", when="status", equals=("project", "resolved"), key="cell.voice_project_status"),
                OnlyWhen("resolved_date", when="status", equals=("resolved",), key="cell.voice_resolved_status"),
                OnlyWhen("decline_reason", when="status", equals=("declined",), key="cell.voice_reason_status"),
                NotBefore("answered_date", other="collected_date", key="cell.voice_answered_before_collected"),
                NotBefore("resolved_date", other="collected_date", key="cell.voice_resolved_before_collected"),
                NotBefore("resolved_date", other="answered_date", key="cell.voice_resolved_before_answered"),
                AtMost("summary", SUMMARY_CHARS, key="cell.voice_summary_long"),
                NoPersonalData("summary", key="cell.voice_personal_data"),
            ),
            across=(
                NotAfterAsOf(("collected_date", "answered_date", "resolved_date"), key="cell.voice_after_as_of"),
                Known(
                    "community", among=(("workers", "community"), ("projects", "community")), key="cell.voice_community"
                ),
                ReferencedAs("project_id", "projects", "program", voice_programs, key="cell.voice_program"),
            ),
        ),
    )
}

# Enumerations stored as codes, by the column names that hold them (pages and exports show their labels).
ENUMS: dict[str, dict[str, str]] = {
    "program": PROGRAMS,
    "level": LEVELS,
    "status": STATUSES,
    "role": ROLES,
    "format": FORMATS,
    "donor_type": DONOR_TYPES,
    "category": CATEGORIES,
    "metric": METRICS,
    # resident voices' columns "channel", "category" and "status" share their names with other kinds' columns:
    # their enumerations go by these names (Page.label("voice_status", code)); satisfaction is theirs alone
    "voice_channel": VOICE_CHANNELS,
    "voice_category": VOICE_CATEGORIES,
    "voice_status": VOICE_STATUSES,
    "satisfaction": SATISFACTION,
}

# Load order inside one file: a kind comes after every kind it references.
LOAD_ORDER = (
    "workers",
    "training_sessions",
    "projects",
    "attendance",
    "mentorships",
    "meetings",
    "donations",
    "disbursements",
    "targets",
    "metadata",
    "notes",
    "resident_voices",
)
assert set(LOAD_ORDER) == set(KINDS)
