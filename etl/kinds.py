"""The spreadsheet contract: one declaration per kind drives reading, validation, loading and the template."""

from __future__ import annotations

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


Rule = RequiredWhen | NotBefore | Percent


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
            rules=(Percent("target", when="metric", equals="training_coverage"),),
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
)
assert set(LOAD_ORDER) == set(KINDS)
