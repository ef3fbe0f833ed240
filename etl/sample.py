"""The reference workbooks: the figures Yanghang Town published (as of 2024-01-31), with invented names.

Every person, community and company name is invented. The workbooks are written the way analysts keep
them (Chinese sheet names, headers and labels, a title row, a few text dates and typed amounts, a total
row) so that loading them exercises the real parser. Output is byte-for-byte deterministic.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import xlsxwriter

from etl.kinds import BOOL, ENUM, ID, KINDS

SAMPLE_AS_OF = date(2024, 1, 31)
SAMPLE_LAST_DAY = date(2024, 1, 19)  # the last record's date (the figures are declared as of the 31st)
SEED = 20240131
CREATED = datetime(2024, 1, 31, 9, 0, 0)  # fixed workbook timestamp, so bytes never change

# The published figures the workbooks must reproduce.
GROUP_PROJECTS, GROUP_THEMES = 50, 6
DISTRICT_PROJECTS, MUNICIPAL_PROJECTS = 8, 1
MICRO_RENEWALS = 185
PROMOTION_MEETINGS = 12
ROSTER = 278
TRAINING_HOURS_2023 = 112.0
PERSON_TIMES_2023 = 3165
MENTORS, MENTEES = 10, 42
RAISED, USED = 650_000, 330_000

COMMUNITIES = (
    "杨行一村",
    "杨行二村",
    "杨行三村",
    "杨泰一村",
    "杨泰二村",
    "杨泰春城",
    "富杨苑",
    "富锦苑",
    "富康苑",
    "杨鑫苑",
    "水产路第一居委",
    "水产路第二居委",
    "水产路第三居委",
    "松发居委",
    "松青苑",
    "宝杨新村",
    "宝杨二村",
    "杨北新苑",
    "杨南居委",
    "杨盛苑",
    "馨杨园",
    "杨桃苑",
    "金杨苑",
    "银杏苑",
    "东城丽景",
    "西城雅苑",
    "杨行中心村",
    "盛桥路居委",
    "湄浦苑",
    "春和苑",
    "锦秋雅园",
    "紫辰苑",
    "丰宁苑",
    "悦杨华庭",
    "泰和家园",
    "杨行花苑",
    "陆翔苑",
    "翔港苑",
    "宝泉苑",
    "杨瑞苑",
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"
)
GIVEN = "伟芳敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉兰萍红健文斌宇浩凯云佳颖婷雪慧琳晨欣怡俊峰建国志海燕晓丹蕾倩"

THEMES = {
    "睦邻友好": (
        "邻里客厅",
        "楼组自治",
        "邻里节",
        "睦邻点建设",
        "邻里互助站",
        "楼道文化",
        "邻里守望",
        "睦邻议事会",
        "共享工具屋",
    ),
    "平安守护": (
        "平安巡防队",
        "电瓶车安全",
        "楼道消防",
        "反诈宣传",
        "安全隐患排查",
        "夜间巡逻",
        "平安楼组",
        "独居关爱",
        "应急小分队",
    ),
    "环境美化": ("垃圾分类", "楼道清洁", "绿化认养", "宠物文明", "停车秩序", "环境监督", "一米菜园", "花园共建"),
    "为老助老": ("助餐服务", "老伙伴计划", "助老志愿", "智慧助老", "适老化改造", "健康讲座", "老年活动室", "银龄互助"),
    "青少年成长": ("四点半课堂", "暑期托管", "亲子阅读", "青少年议事", "科普小屋", "成长导师", "运动营", "小小志愿者"),
    "文化共建": ("社区合唱团", "书画社", "非遗传承", "文化客厅", "家风故事", "读书会", "市民修身", "社区春晚"),
}
RENEWALS = (
    "楼道扶手加装",
    "非机动车棚改造",
    "口袋花园营造",
    "休憩座椅增设",
    "晾衣架改造",
    "健身步道修缮",
    "电瓶车充电桩安装",
    "路灯补光",
    "信报箱更新",
    "垃圾厢房美化",
    "楼道墙面粉刷",
    "无障碍坡道建设",
    "小区道路平整",
    "宣传栏更新",
    "儿童游乐设施修缮",
    "单元门雨棚加装",
    "绿化补种",
    "单元门禁维修",
    "停车位划线",
    "休闲长廊修缮",
    "快递柜点位优化",
    "健身器材更新",
    "排水沟疏通",
    "微景观营造",
    "楼道照明改造",
)

# (title, format, hours, audience); hours sum to TRAINING_HOURS_2023.
SESSIONS_2023 = (
    ("2023年社区工作者开班动员暨政策解读", "lecture", 3, "all"),
    ("基层治理法治化专题讲座", "lecture", 3, "all"),
    ("居民区书记履职能力提升班（一）", "lecture", 4, "secretary"),
    ("后备干部培养计划启动培训", "lecture", 3, "reserve"),
    ("社区协商议事规则实务", "group_discussion", 2.5, "frontline"),
    ("组团治理项目设计工作坊", "group_discussion", 3, "all"),
    ("美丽社区现场教学", "field_visit", 4, "leaders"),
    ("社会工作专业方法：个案工作", "lecture", 3, "frontline"),
    ("社会工作专业方法：小组工作", "lecture", 3, "frontline"),
    ("社区动员与居民参与", "lecture", 3, "all"),
    ("居民区书记履职能力提升班（二）", "lecture", 4, "secretary"),
    ("微更新项目居民参与方法", "practical_research", 3, "all"),
    ("为老服务政策与实务", "lecture", 2.5, "frontline"),
    ("防汛防台应急演练", "field_visit", 3, "all"),
    ("数字化治理平台操作培训", "online", 2, "all"),
    ("群众工作方法与沟通技巧", "group_discussion", 3, "all"),
    ("后备干部实践调研（一）", "practical_research", 4, "reserve"),
    ("“头雁”带教：议事会组织", "mentoring", 3, "reserve"),
    ("社区公益基金运作与管理", "lecture", 2.5, "leaders"),
    ("垃圾分类与环境治理实务", "field_visit", 3, "all"),
    ("青少年服务与家庭教育指导", "lecture", 2.5, "frontline"),
    ("社区矛盾纠纷调解实务", "group_discussion", 3, "all"),
    ("组团治理优秀案例分享会", "group_discussion", 2.5, "all"),
    ("后备干部实践调研（二）", "practical_research", 4, "reserve"),
    ("平安社区建设与消防安全", "lecture", 2, "all"),
    ("公文写作与信息报送", "online", 2, "all"),
    ("心理健康与压力调适", "lecture", 2, "all"),
    ("居民区书记履职能力提升班（三）", "field_visit", 4, "secretary"),
    ("生命教育项目实务", "lecture", 2.5, "frontline"),
    ("“头雁”带教：项目化运作", "mentoring", 3, "reserve"),
    ("社区志愿服务组织与管理", "group_discussion", 2.5, "all"),
    ("党建引领基层治理专题", "lecture", 3, "all"),
    ("美丽社区建设经验交流", "field_visit", 3.5, "leaders"),
    ("社区工作者职业发展与能力评价", "lecture", 2, "all"),
    ("数字化治理平台进阶培训", "online", 2, "all"),
    ("社区治理创新实践调研", "practical_research", 4, "all"),
    ("社区安全生产与燃气安全", "lecture", 3, "all"),
    ("年度培训总结与考核", "group_discussion", 3, "all"),
)
SESSIONS_2024 = (
    ("2024年度社区工作部署培训", "lecture", 3, "all", date(2024, 1, 12)),
    ("后备干部2024年实践任务布置", "mentoring", 2, "reserve", date(2024, 1, 19)),
)
AUDIENCES = {
    "all": ("secretary", "director", "committee_member", "social_worker", "reserve_cadre"),
    "secretary": ("secretary",),
    "leaders": ("secretary", "director"),
    "reserve": ("reserve_cadre",),
    "frontline": ("committee_member", "social_worker"),
}
ORGANIZERS = ("杨行镇社区党群服务中心", "杨行镇社会工作站", "杨行镇社区治理办公室")
LOCATIONS = {
    "lecture": "杨行镇社区党群服务中心",
    "group_discussion": "杨行镇社会工作站",
    "field_visit": "现场教学点",
    "practical_research": "各居民区",
    "mentoring": "杨行镇社会工作站",
    "online": "线上（视频会议）",
}

# date, donor, donor type, amount (a number, or text as analysts type it), channel
DONATIONS = (
    (date(2023, 8, 18), "上海富杨实业有限公司", "enterprise", 100_000, "银行转账"),
    (date(2023, 8, 18), "上海杨鑫物流有限公司", "enterprise", "6.5万", "银行转账"),
    (date(2023, 8, 18), "杨行镇商会", "organization", 80_000, "银行转账"),
    (date(2023, 8, 18), "上海宝杨置业有限公司", "enterprise", 50_000, "银行转账"),
    (date(2023, 8, 18), "杨行镇爱心企业联谊会", "organization", 30_000, "银行转账"),
    (date(2023, 8, 18), "张先生", "individual", "¥12,000", "现场捐赠"),
    (date(2023, 8, 18), "匿名", "individual", 10_000, "现场捐赠"),
    (date(2023, 9, 30), "上海富锦电子科技有限公司", "enterprise", 40_000, "银行转账"),
    (date(2023, 9, 30), "杨行镇社会组织服务中心", "organization", 20_000, "银行转账"),
    (date(2023, 9, 30), "李女士", "individual", 5_000, "微信"),
    (date(2023, 9, 30), "王先生", "individual", 3_000, "微信"),
    (date(2023, 9, 30), "居民区爱心捐款（第三季度汇缴）", "other", 16_800, "慈善募捐箱"),
    (date(2023, 12, 31), "上海杨泰建设工程有限公司", "enterprise", 60_000, "银行转账"),
    (date(2023, 12, 31), "上海松发餐饮管理有限公司", "enterprise", 30_000, "银行转账"),
    (date(2023, 12, 31), "宝杨公益基金会", "organization", 50_000, "银行转账"),
    (date(2023, 12, 31), "上海翔港商贸有限公司", "enterprise", 40_000, "银行转账"),
    (date(2023, 12, 31), "陈女士", "individual", 8_000, "微信"),
    (date(2023, 12, 31), "刘先生", "individual", 6_000, "微信"),
    (date(2023, 12, 31), "居民区爱心捐款（第四季度汇缴）", "other", 24_200, "慈善募捐箱"),
)
# date, amount, purpose, category, project (program, index) or None, community index, approving meeting
DISBURSEMENTS = (
    (date(2023, 9, 12), 25_000, "重阳节敬老慰问", "elderly", None, 0, 1),
    (date(2023, 9, 20), 18_000, "困难家庭子女助学（秋季）", "relief", None, 10, 1),
    (date(2023, 9, 26), 30_000, "组团治理项目补充经费", "governance", ("group_governance", 2), None, 1),
    (date(2023, 10, 10), "1.2万", "青少年心理健康讲座", "children_youth", None, 6, 2),
    (date(2023, 10, 17), 20_000, "楼道微景观营造", "environment", ("micro_renewal", 5), None, 2),
    (date(2023, 10, 25), 15_000, "社区文化节", "culture", None, 21, 2),
    (date(2023, 11, 3), "¥8,500", "独居老人紧急呼叫器安装", "elderly", None, 13, 3),
    (date(2023, 11, 8), 40_000, "生命教育进社区", "culture", ("life_education", 0), None, 3),
    (date(2023, 11, 15), 22_000, "社区工作者能力提升培训补贴", "governance", None, None, 3),
    (date(2023, 11, 22), 16_000, "冬季帮困送温暖（第一批）", "relief", None, 3, 3),
    (date(2023, 11, 29), 25_000, "口袋花园绿化补种", "environment", ("micro_renewal", 40), None, 3),
    (date(2023, 12, 6), 18_500, "老年助餐点设备更新", "elderly", None, 17, 4),
    (date(2023, 12, 12), 20_000, "青少年寒假志愿服务", "children_youth", ("group_governance", 41), None, 4),
    (date(2023, 12, 18), 24_000, "冬季帮困送温暖（第二批）", "relief", None, 27, 4),
    (date(2023, 12, 22), 15_000, "美丽社区建设成果展", "culture", ("beautiful_community", 8), None, 4),
    (date(2023, 12, 27), 21_000, "社区议事厅设施完善", "governance", ("group_governance", 17), None, 4),
)
TARGETS = (
    ("projects_completed", 2023, 50),
    ("micro_renewal_completed", 2023, 180),
    ("training_coverage", 2023, "100%"),
    ("training_hours", 2023, 110),
    ("person_times", 2023, 3000),
    ("fund_raised", 2023, 600_000),
    ("fund_used", 2023, 300_000),
    ("projects_completed", 2024, 55),
    ("micro_renewal_completed", 2024, 200),
    ("training_coverage", 2024, 1),
    ("training_hours", 2024, 120),
    ("person_times", 2024, 3300),
    ("fund_raised", 2024, 800_000),
    ("fund_used", 2024, 500_000),
)

Row = dict[str, Any]  # one spreadsheet row: header -> a date, number or text (some typed as analysts type them)


def _rng(part: str) -> random.Random:
    """One generator per part, so changing one part never reshuffles another."""
    return random.Random(f"{SEED}-{part}")


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _weekday(day: date) -> date:
    """The nearest working day on or before `day`."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def _slash(day: date) -> str:
    return f"{day.year}/{day.month}/{day.day}"


def _chinese(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _wan(amount: int) -> str:
    return f"{amount / 10_000:g}万"


def _yuan(amount: int) -> str:
    return f"¥{amount:,}"


def _names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        name = rng.choice(SURNAMES) + given
        if name not in names:
            names.append(name)
    return names


def build_workers() -> list[Row]:
    """278 workers: per community a secretary, a director and two committee members, plus 72 social workers and
    46 reserve cadres spread over the communities."""
    rng = _rng("workers")
    extra = ["social_worker"] * 72 + ["reserve_cadre"] * 46
    rng.shuffle(extra)
    roles_by_community = {c: ["secretary", "director", "committee_member", "committee_member"] for c in COMMUNITIES}
    for i, role in enumerate(extra):
        roles_by_community[COMMUNITIES[i % len(COMMUNITIES)]].append(role)
    joined_ranges = {
        "secretary": (date(2003, 3, 1), date(2014, 12, 31)),
        "director": (date(2006, 3, 1), date(2018, 12, 31)),
        "committee_member": (date(2010, 3, 1), date(2022, 12, 31)),
        "social_worker": (date(2012, 3, 1), date(2023, 6, 30)),
        "reserve_cadre": (date(2019, 7, 1), date(2023, 3, 31)),
    }
    names = _names(rng, ROSTER)
    workers: list[Row] = []
    for community in COMMUNITIES:
        for role in roles_by_community[community]:
            n = len(workers) + 1
            joined: Any = _day(rng, *joined_ranges[role])
            if n % 45 == 0:
                joined = _slash(joined) if n % 2 else _chinese(joined)
            workers.append(
                {
                    "worker_id": f"YH{n:04d}",
                    "name": names[n - 1],
                    "community": community,
                    "role": role,
                    "joined_date": joined,
                    "active": True,
                }
            )
    assert len(workers) == ROSTER
    return workers


def _session_dates(rng: random.Random, count: int) -> list[date]:
    first, last = date(2023, 2, 15), date(2023, 12, 20)
    step = (last - first).days / (count - 1)
    return [_weekday(first + timedelta(days=round(i * step) + rng.randint(-2, 2))) for i in range(count)]


def build_training(workers: list[Row]) -> tuple[list[Row], list[Row]]:
    """Sessions and attendance: 3,165 person-times in 2023 covering all 278 workers, plus two January 2024 sessions."""
    rng = _rng("training")
    pools = {a: [w["worker_id"] for w in workers if w["role"] in roles] for a, roles in AUDIENCES.items()}
    dates = _session_dates(rng, len(SESSIONS_2023))
    plan = [(*s, d) for s, d in zip(SESSIONS_2023, dates, strict=True)] + list(SESSIONS_2024)
    sessions, sizes = [], []
    for i, (title, fmt, hours, audience, day) in enumerate(plan):
        seq = sum(1 for p in plan[:i] if p[4].year == day.year) + 1
        when: object = day
        if seq in (8, 19):
            when = _slash(day) if seq == 8 else _chinese(day)
        sessions.append(
            {
                "session_id": f"PX{day.year}-{seq:02d}",
                "title": title,
                "date": when,
                "hours": hours,
                "format": fmt,
                "organizer": ORGANIZERS[0] if fmt != "mentoring" else ORGANIZERS[1],
                "location": LOCATIONS[fmt],
            }
        )
        pool = len(pools[audience])
        sizes.append(rng.randint(pool * 85 // 100, pool) if audience != "all" else rng.randint(60, 150))
    is_2023 = [p[4].year == 2023 for p in plan]
    # Bring the 2023 all-staff sessions to exactly the published person-times.
    all_staff = [i for i, p in enumerate(plan) if is_2023[i] and p[3] == "all"]
    diff = PERSON_TIMES_2023 - sum(s for s, y in zip(sizes, is_2023, strict=True) if y)
    k = 0
    while diff:
        i = all_staff[k % len(all_staff)]
        step = 1 if diff > 0 else -1
        if 40 <= sizes[i] + step <= ROSTER:
            sizes[i] += step
            diff -= step
        k += 1
    members = [sorted(rng.sample(pools[p[3]], sizes[i])) for i, p in enumerate(plan)]
    # Everyone on the roster attends at least one 2023 session: swap the uncovered in for someone who attends often.
    counts = Counter(w for i, m in enumerate(members) if is_2023[i] for w in m)
    for worker in (w["worker_id"] for w in workers):
        if counts[worker]:
            continue
        for i in all_staff:
            spare = next((w for w in members[i] if counts[w] > 1), None)
            if spare and worker not in members[i]:
                members[i] = sorted([*(w for w in members[i] if w != spare), worker])
                counts[spare] -= 1
                counts[worker] += 1
                break
    attendance = [
        {"session_id": s["session_id"], "worker_id": w} for s, m in zip(sessions, members, strict=True) for w in m
    ]
    assert sum(p[2] for p in plan if p[4].year == 2023) == TRAINING_HOURS_2023
    assert sum(len(m) for m, y in zip(members, is_2023, strict=True) if y) == PERSON_TIMES_2023
    assert all(counts[w["worker_id"]] for w in workers)
    return sessions, attendance


def build_mentorships(workers: list[Row]) -> list[Row]:
    """The ten most experienced secretaries, each paired with four or five reserve cadres."""
    rng = _rng("mentorships")

    def joined(worker: Row) -> date:
        value = worker["joined_date"]
        return value if isinstance(value, date) else date.max

    secretaries = sorted((w for w in workers if w["role"] == "secretary"), key=joined)
    mentors = [w["worker_id"] for w in secretaries[:MENTORS]]
    cadres = [w["worker_id"] for w in workers if w["role"] == "reserve_cadre"]
    mentees = sorted(rng.sample(cadres, MENTEES))
    pairs = []
    for i, mentee in enumerate(mentees):
        start = date(2023, 4, 18) if i < 36 else date(2023, 6, 6)  # a later second intake
        pairs.append(
            {
                "mentor_id": mentors[i % MENTORS],
                "mentee_id": mentee,
                "start_date": start,
                "activities_done": rng.choice((5, 6, 7, 7, 8, 8, 8, 9, 9, 10, 10)) if i < 36 else rng.randint(2, 5),
            }
        )
    return sorted(pairs, key=lambda p: (p["mentor_id"], p["mentee_id"]))


def _project(pid: str, name: str, program: str, community: str, **values: object) -> Row:
    row: Row = {
        "project_id": pid,
        "name": name,
        "program": program,
        "theme": None,
        "level": None,
        "community": community,
        "status": "completed",
        "start_date": None,
        "completed_date": None,
        "budget_yuan": None,
        "residents_involved": None,
        "resident_proposed": None,
    }
    row.update(values)
    return row


def _completed(rng: random.Random, start: tuple[date, date], days: tuple[int, int]) -> dict[str, date]:
    begin = _day(rng, *start)
    end = min(begin + timedelta(days=rng.randint(*days)), date(2023, 12, 28))
    return {"start_date": begin, "completed_date": end}


def build_projects() -> dict[str, list[Row]]:
    """Projects by program: 50 group governance, 185 micro-renewals, 9 Beautiful Community, and a few others."""
    rng = _rng("projects")
    group: list[Row] = []
    for theme, cores in THEMES.items():
        for core in cores:
            n = len(group) + 1
            community = COMMUNITIES[(n * 7) % len(COMMUNITIES)]
            group.append(
                _project(
                    f"ZT2023-{n:03d}",
                    f"{community}“{core}”组团项目",
                    "group_governance",
                    community,
                    theme=theme,
                    level=rng.choice(("town", None)),
                    budget_yuan=rng.randint(20, 80) * 1000,
                    residents_involved=rng.randint(30, 300),
                    resident_proposed=rng.random() < 0.6,
                    **_completed(rng, (date(2023, 3, 1), date(2023, 5, 31)), (120, 240)),
                )
            )
    picks = rng.sample([(c, r) for c in COMMUNITIES for r in RENEWALS], MICRO_RENEWALS + 4)
    order = {c: i for i, c in enumerate(COMMUNITIES)}
    renewal_pairs = (
        sorted(picks[:MICRO_RENEWALS], key=lambda p: (order[p[0]], RENEWALS.index(p[1]))) + picks[MICRO_RENEWALS:]
    )
    micro = []
    for n, (community, item) in enumerate(renewal_pairs, start=1):
        done = n <= MICRO_RENEWALS
        row = _project(
            f"WGX2023-{n:03d}",
            f"{community}{item}",
            "micro_renewal",
            community,
            level="town" if n % 9 == 0 else None,
            budget_yuan=rng.randint(6, 100) * 500,
            residents_involved=rng.randint(10, 120),
            resident_proposed=True if done else n % 2 == 0,
        )
        if done:
            row.update(_completed(rng, (date(2023, 2, 1), date(2023, 10, 31)), (20, 120)))
        else:  # the last four are still open
            row["project_id"] = f"WGX2024-{n - MICRO_RENEWALS:03d}"
            row["status"] = "in_progress" if n - MICRO_RENEWALS <= 3 else "planned"
            row["start_date"] = date(2024, 1, 8) if row["status"] == "in_progress" else None
        micro.append(row)
    beautiful = []
    for n in range(1, DISTRICT_PROJECTS + MUNICIPAL_PROJECTS + 1):
        community = COMMUNITIES[(n * 11) % len(COMMUNITIES)]
        beautiful.append(
            _project(
                f"MLSQ-{n:02d}",
                f"{community}美丽家园建设",
                "beautiful_community",
                community,
                theme="美丽家园",
                level="municipal" if n == 1 else "district",
                budget_yuan=rng.randint(40, 160) * 5000,
                residents_involved=rng.randint(200, 900),
                resident_proposed=False,
                **_completed(rng, (date(2023, 2, 1), date(2023, 4, 30)), (180, 270)),
            )
        )
    others = []
    life = ("生命教育进社区", "生命关怀讲堂", "青少年生命教育营", "安宁疗护知识普及", "心理援助热线", "生命故事会")
    for n, title in enumerate(life, start=1):
        community = COMMUNITIES[(n * 5 + 2) % len(COMMUNITIES)]
        values: dict = {"theme": "生命教育", "level": "town", "budget_yuan": rng.randint(10, 60) * 1000}
        if n <= 4:
            values |= _completed(rng, (date(2023, 3, 1), date(2023, 6, 30)), (60, 180))
        else:
            values |= {"status": "in_progress", "start_date": _day(rng, date(2023, 11, 1), date(2024, 1, 15))}
        others.append(_project(f"SMJY-{n:02d}", f"{community}{title}", "life_education", community, **values))
    others += [
        _project(
            "QT-01",
            "社区工作者风采展",
            "other",
            "杨行中心村",
            **_completed(rng, (date(2023, 9, 1), date(2023, 9, 30)), (30, 60)),
        ),
        _project("QT-02", "社区睦邻节（2024）", "other", "富杨苑", status="planned", budget_yuan=30_000),
        _project(
            "QT-03", "楼宇灯光秀", "other", "东城丽景", status="cancelled", start_date=date(2023, 7, 1), level="town"
        ),
    ]
    # a few values typed the way analysts type them
    for i, row in enumerate(group + micro):
        if i % 37 == 5 and row["status"] == "completed":
            row["start_date"] = _slash(row["start_date"])
            row["completed_date"] = _chinese(row["completed_date"])
            row["budget_yuan"] = _wan(row["budget_yuan"]) if i % 2 else _yuan(row["budget_yuan"])
    return {"group_governance": group, "micro_renewal": micro, "beautiful_community": beautiful, "others": others}


def build_meetings() -> list[Row]:
    """Twelve monthly promotion meetings in 2023 and the other meetings around them."""
    rng = _rng("meetings")
    plan = [
        (_weekday(date(2023, m, 25)), "promotion", f"组团治理{m}月推进会", rng.randint(40, 70)) for m in range(1, 13)
    ]
    plan += [
        (date(2023, 4, 13), "onsite_teaching", "组团治理现场教学（杨行一村）", 45),
        (date(2023, 6, 15), "onsite_teaching", "微更新项目现场教学（富杨苑）", 52),
        (date(2023, 9, 14), "onsite_teaching", "美丽社区现场教学（水产路第一居委）", 48),
        (date(2023, 11, 16), "onsite_teaching", "社区基金项目现场教学", 38),
        (date(2023, 5, 18), "study_visit", "赴兄弟街镇参访学习社区治理经验", 30),
        (date(2023, 8, 10), "study_visit", "参访学习社区公益基金运作", 26),
        (date(2023, 10, 19), "study_visit", "参访学习美丽街区建设", 28),
        (date(2023, 3, 9), "expert_guidance", "组团治理项目设计专家指导", 35),
        (date(2023, 7, 6), "expert_guidance", "微更新项目专家评审", 22),
        (date(2023, 9, 7), "expert_guidance", "社区基金章程专家论证", 18),
        (date(2023, 12, 7), "expert_guidance", "年度项目成效评估专家指导", 24),
        (date(2023, 8, 18), "other", f"“{NAMES['fund']}”社区基金成立仪式", 120),
        (date(2023, 12, 28), "other", "年度社区治理论坛", 150),
        (date(2024, 1, 18), "expert_guidance", "2024年度项目储备专家指导", 30),
    ]
    plan.sort(key=lambda p: p[0])
    meetings: list[Row] = []
    for day, kind, topic, attendees in plan:
        seq = sum(1 for m in meetings if m["meeting_id"].startswith(f"HY{day.year}")) + 1
        meetings.append(
            {"meeting_id": f"HY{day.year}-{seq:02d}", "date": day, "type": kind, "topic": topic, "attendees": attendees}
        )
    assert sum(m["type"] == "promotion" for m in meetings) == PROMOTION_MEETINGS
    return meetings


def _amount(value: object) -> int:
    if isinstance(value, int):
        return value
    text = str(value).replace("¥", "").replace(",", "")
    return round(float(text[:-1]) * 10_000) if text.endswith("万") else int(text)


def build_fund(projects: dict[str, list[Row]]) -> tuple[list[Row], list[Row]]:
    """Donations (650,000 yuan from August 2023, remitted quarterly) and disbursements (330,000 yuan)."""
    by_program = {**projects, "life_education": [p for p in projects["others"] if p["program"] == "life_education"]}
    donations = [
        {
            "donation_id": f"JZ2023-{n:03d}",
            "date": d,
            "donor": donor,
            "donor_type": kind,
            "amount_yuan": amount,
            "channel": ch,
        }
        for n, (d, donor, kind, amount, ch) in enumerate(DONATIONS, start=1)
    ]
    meetings = {
        1: "基金管委会2023年第1次会议",
        2: "基金管委会2023年第2次会议",
        3: "基金管委会2023年第3次会议",
        4: "基金管委会2023年第4次会议",
    }
    disbursements = []
    for n, (d, amount, purpose, category, project, community, approved) in enumerate(DISBURSEMENTS, start=1):
        linked = by_program[project[0]][project[1]] if project else None
        disbursements.append(
            {
                "disbursement_id": f"ZC2023-{n:03d}",
                "date": d,
                "amount_yuan": amount,
                "purpose": purpose,
                "category": category,
                "project_id": linked["project_id"] if linked else None,
                "community": linked["community"]
                if linked
                else (COMMUNITIES[community] if community is not None else None),
                "approved_at": meetings[approved],
            }
        )
    assert sum(_amount(d["amount_yuan"]) for d in donations) == RAISED
    assert sum(_amount(d["amount_yuan"]) for d in disbursements) == USED
    for day in sorted({d["date"] for d in donations + disbursements}):
        raised = sum(_amount(d["amount_yuan"]) for d in donations if d["date"] <= day)
        used = sum(_amount(d["amount_yuan"]) for d in disbursements if d["date"] <= day)
        assert used <= raised, day
    return donations, disbursements


# Resident voices (居民诉求): the category each micro-renewal answers, and what residents asked that became no project.
RENEWAL_CATEGORIES = {
    "楼道扶手加装": "elderly",
    "非机动车棚改造": "parking",
    "口袋花园营造": "greening",
    "休憩座椅增设": "elderly",
    "晾衣架改造": "other",
    "健身步道修缮": "culture",
    "电瓶车充电桩安装": "safety",
    "路灯补光": "safety",
    "信报箱更新": "other",
    "垃圾厢房美化": "sanitation",
    "楼道墙面粉刷": "sanitation",
    "无障碍坡道建设": "elderly",
    "小区道路平整": "parking",
    "宣传栏更新": "culture",
    "儿童游乐设施修缮": "culture",
    "单元门雨棚加装": "other",
    "绿化补种": "greening",
    "单元门禁维修": "safety",
    "停车位划线": "parking",
    "休闲长廊修缮": "greening",
    "快递柜点位优化": "other",
    "健身器材更新": "culture",
    "排水沟疏通": "sanitation",
    "微景观营造": "greening",
    "楼道照明改造": "safety",
}
VOICE_ASKS = {
    "sanitation": ("楼道堆物清理", "垃圾桶满溢未及时清运", "小区污水井异味", "宠物粪便无人清理"),
    "parking": ("夜间停车难", "消防通道被占用", "外来车辆乱停放", "非机动车乱停"),
    "elderly": ("希望增加老年助餐点供餐品种", "独居老人上门探访", "楼道缺少休息凳", "老年活动室开放时间延长"),
    "greening": ("树木遮挡低层采光", "绿化带缺株", "草坪被踩踏", "树枝伸入阳台需修剪"),
    "safety": ("楼道电瓶车充电隐患", "小区围墙破损", "路灯不亮", "高空抛物隐患"),
    "culture": ("希望开设周末亲子活动", "广场舞噪音扰民", "希望增加读书角", "社区运动场地不足"),
    "other": ("快递包装垃圾多", "物业服务态度", "小区公告不及时", "希望开通社区微信群"),
}
DECLINE_REASONS = (
    "涉及产权单位，已转交物业公司处理",
    "不属于社区可办理范围，已向居民解释",
    "经居民议事会讨论未获多数同意",
    "所需资金超出年度预算，纳入下年度项目储备",
)
VOICE_CHANNEL_WEIGHTS = (("visit", 45), ("council", 25), ("hotline", 15), ("online", 10), ("other", 5))


def _as_date(value: object) -> date:
    """A sample date back from the forms build_projects writes some in (2023/3/5, 2023年3月5日)."""
    if isinstance(value, date):
        return value
    y, m, d = (int(x) for x in str(value).replace("年", "/").replace("月", "/").rstrip("日").split("/"))
    return date(y, m, d)


def build_voices(projects: dict[str, list[Row]]) -> list[Row]:
    """Resident voices: every micro-renewal residents proposed comes from at least one (the 185 completed in 2023
    from 215 voices, the two open ones from voices of late 2023), and about 280 more that became no project:
    answered, resolved at once, declined with a reason, and a few still waiting past the promise in January 2024."""
    rng = _rng("voices")
    channels = [c for c, w in VOICE_CHANNEL_WEIGHTS for _ in range(w)]

    def answer_after() -> int:  # days: most within the promise of 15, some later
        return rng.randint(2, 14) if rng.random() < 0.88 else rng.randint(16, 30)

    def satisfaction() -> str | None:
        x = rng.random()
        return "satisfied" if x < 0.66 else "basically" if x < 0.88 else "unsatisfied" if x < 0.94 else None

    voices: list[Row] = []
    for row in projects["micro_renewal"]:
        if not row["resident_proposed"]:
            continue
        item = row["name"].removeprefix(row["community"])
        done = row["status"] == "completed"
        start = _as_date(row["start_date"]) if row["start_date"] else date(2024, 1, 8)
        for _ in range(1 + (rng.random() < 0.16)):
            collected = max(start - timedelta(days=rng.randint(12, 45)), date(2023, 1, 3))
            if not done:
                collected = _day(rng, date(2023, 11, 1), date(2023, 12, 15))
            answered = collected + timedelta(days=answer_after())
            voices.append(
                {
                    "collected_date": collected,
                    "community": row["community"],
                    "channel": rng.choice(channels),
                    "category": RENEWAL_CATEGORIES[item],
                    "summary": f"居民希望{item}",
                    "publishable": rng.random() < 0.7,
                    "status": "resolved" if done else "project",
                    "answered_date": answered,
                    "resolved_date": _as_date(row["completed_date"]) if done else None,
                    "project_id": row["project_id"],
                    "satisfaction": satisfaction() if done else None,
                }
            )
    for n in range(280):
        category = rng.choice(list(VOICE_ASKS))
        january = n >= 255  # the last ones collected in January 2024
        collected = (
            _day(rng, date(2024, 1, 2), date(2024, 1, 19))
            if january
            else _day(rng, date(2023, 1, 3), date(2023, 12, 20))
        )
        answered = collected + timedelta(days=rng.randint(1, 6) if january else answer_after())
        status = rng.choice(("resolved", "resolved", "resolved", "answered", "answered", "declined"))
        voice: Row = {
            "collected_date": collected,
            "community": rng.choice(COMMUNITIES),
            "channel": rng.choice(channels),
            "category": category,
            "summary": rng.choice(VOICE_ASKS[category]),
            "publishable": rng.random() < 0.5,
            "status": status,
            "answered_date": answered,
        }
        if status == "resolved":
            voice["resolved_date"] = answered + timedelta(days=rng.randint(0, 20))
            voice["satisfaction"] = satisfaction()
        elif status == "declined":
            voice["decline_reason"] = rng.choice(DECLINE_REASONS)
            voice["satisfaction"] = rng.choice(("basically", "unsatisfied", None))
        if (
            n in (120, 250) or (january and n % 8 == 0) or voice["answered_date"] > SAMPLE_LAST_DAY
        ):  # still waiting: a few past the promise by 31 January
            voice |= {"status": "received", "answered_date": None, "resolved_date": None, "satisfaction": None}
            voice.pop("decline_reason", None)
        elif voice.get("resolved_date", date.min) > SAMPLE_LAST_DAY:  # answered, not yet resolved
            voice |= {"status": "answered", "resolved_date": None, "satisfaction": None}
        voices.append(voice)
    voices.sort(key=lambda v: (v["collected_date"], v["community"], v["summary"]))
    numbers: Counter[int] = Counter()
    for voice in voices:
        year = voice["collected_date"].year
        numbers[year] += 1
        voice["voice_id"] = f"MY{year}-{numbers[year]:04d}"
    return voices


def build_targets() -> list[Row]:
    """The programme's yearly targets."""
    return [{"metric": m, "year": y, "target": t} for m, y, t in TARGETS]


# The names the town declares with its data (declared.py): every page, slide, report and file takes them from here.
NAMES = {
    "town": "杨行镇",
    "town_en": "Yanghang Town",
    "district": "宝山区",
    "district_en": "Baoshan District",
    "fund": "暖杨汇",
    "fund_en": "Warm Yang Hui",
    "mentoring": "头雁",
    "mentoring_en": "Head Goose",
    "training": "社工成长计划",
    "training_en": "Social-worker growth plan",
}


class _Sheets:
    """Writes kinds' rows as analysts keep them: Chinese headers, Chinese labels, real dates."""

    def __init__(self, path: Path) -> None:
        self.book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
        self.book.set_properties(
            {"title": f"{NAMES['town']}社区治理样例数据", "author": "样例数据", "created": CREATED}
        )
        self.bold = self.book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.title = self.book.add_format({"bold": True, "font_size": 14, "align": "center"})
        self.date = self.book.add_format({"num_format": "yyyy-mm-dd"})
        self.money = self.book.add_format({"num_format": "#,##0.00"})

    def write(
        self, sheet_name: str, kind_name: str, rows: list[Row], *, title: str | None = None, total: str | None = None
    ):
        """One sheet of one kind; `title` adds a merged title row, `total` sums that column in a 合计 row."""
        kind = KINDS[kind_name]
        sheet = self.book.add_worksheet(sheet_name)
        top = 0
        if title:
            sheet.merge_range(0, 0, 0, len(kind.columns) - 1, title, self.title)
            top = 1
        for c, column in enumerate(kind.columns):
            sheet.write_string(top, c, column.zh, self.bold)
            sheet.set_column(c, c, 22 if column.type in ("text",) else 13)
        for r, row in enumerate(rows, start=top + 1):
            for c, column in enumerate(kind.columns):
                self._cell(sheet, r, c, column, row.get(column.name))
        if total:
            c = kind.column_names.index(total)
            letter = chr(ord("A") + c)
            last = top + len(rows) + 1
            sheet.write_string(last, 0, "合计", self.bold)
            value = sum(_amount(row[total]) for row in rows)
            sheet.write_formula(last, c, f"=SUM({letter}{top + 2}:{letter}{last})", self.money, value)
        sheet.freeze_panes(top + 1, 0)

    def _cell(self, sheet, r: int, c: int, column, value: object) -> None:
        if value is None:
            return
        if column.type == ENUM:
            sheet.write_string(r, c, column.choices[value])
        elif column.type == BOOL:
            sheet.write_string(r, c, "是" if value else "否")
        elif isinstance(value, date):
            sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), self.date)
        elif column.type == ID or isinstance(value, str):
            sheet.write_string(r, c, str(value))
        else:
            sheet.write_number(r, c, value, self.money if column.type == "amount" else None)

    def close(self) -> None:
        self.book.close()


def write_samples(out_dir: Path) -> list[Path]:
    """Write the reference workbooks into out_dir; alphabetical order is a valid load order."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = build_workers()
    sessions, attendance = build_training(workers)
    projects = build_projects()
    donations, disbursements = build_fund(projects)
    books: dict[str, list[tuple[str, str, list[Row], dict[str, Any]]]] = {
        "01_名册与培训.xlsx": [
            ("社工名册", "workers", workers, {"title": f"{NAMES['town']}社区工作者名册（截至2024年1月31日）"}),
            ("培训场次", "training_sessions", sessions, {}),
            ("培训签到", "attendance", attendance, {}),
            ("师徒结对", "mentorships", build_mentorships(workers), {}),
        ],
        "02_项目.xlsx": [
            ("项目", "projects", [p for rows in projects.values() for p in rows], {}),
            ("居民诉求", "resident_voices", build_voices(projects), {}),
        ],
        "03_会议.xlsx": [("会议", "meetings", build_meetings(), {})],
        "04_基金.xlsx": [
            ("捐赠", "donations", donations, {"title": f"“{NAMES['fund']}”社区基金捐赠记录", "total": "amount_yuan"}),
            ("资金使用", "disbursements", disbursements, {}),
        ],
        "05_目标.xlsx": [
            ("目标", "targets", build_targets(), {}),
            ("数据说明", "metadata", [{"as_of": SAMPLE_AS_OF, "note": "2024年社区治理论坛公布数据", **NAMES}], {}),
        ],
    }
    paths = []
    for file_name, sheets in books.items():
        path = out_dir / file_name
        book = _Sheets(path)
        for sheet_name, kind_name, rows, options in sheets:
            book.write(sheet_name, kind_name, rows, **options)
        book.close()
        paths.append(path)
    return paths
