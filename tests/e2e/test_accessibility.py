"""Readable by everyone who must read it (issue 19): axe-core on every page, in Chinese and English, on a phone and
a laptop, after the charts are drawn; headings in order, charts with a name and a text alternative, tiles read as
"label, value, target"; every action reachable and visibly focused from the keyboard; an import done with the
keyboard alone.

axe-core is the npm package pinned by package.json (installed by scripts/test.sh with `npm ci`). Violations that
come from Streamlit's own components are listed in tests/e2e/axe_allowlist.toml with the reason, each tied to the
Streamlit version it was seen in. Every audit is written to test-output/axe/<lang>-<width>.json.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import streamlit
from focus import tab_to
from playwright.sync_api import expect
from workbooks import workbook_bytes

from i18n import t

if TYPE_CHECKING:
    from conftest import App, Server


ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ALLOWLIST = Path(__file__).with_name("axe_allowlist.toml")
REPORTS = ROOT / "test-output" / "axe"
PAGES = {"overview": "", "projects": "projects", "voices": "voices", "training": "training", "fund": "fund",
         "ledger": "ledger", "proposals": "proposals", "presenter": "presenter", "data": "data", "review": "review",
         "audit": "audit"}  # fmt: skip
CHARTED = {"projects": 1, "voices": 1, "training": 1, "fund": 1}
WIDTHS = {390: 844, 1280: 800}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FAILING = {"serious", "critical"}
# Rules of lesser impact that the issue makes a promise about: they fail too, in our own markup.
PROMISED = {"heading-order", "presentation-role-conflict"}

AUDITS: dict[str, list[dict]] = {}  # "<lang>-<width>" -> every violating node seen, for the allow-list check


def allowlist() -> list[dict]:
    return tomllib.loads(ALLOWLIST.read_text(encoding="utf-8")).get("entry", [])


def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (scripts/test.sh does this) to install the pinned axe-core.")
    return AXE.read_text(encoding="utf-8")


# Run axe on the whole document; for each violating node, which allow-list entry (if any) covers it.
RUN_AXE = """async allow => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations.flatMap(v => v.nodes.map(n => {
        const el = n.target.length === 1 ? document.querySelector(n.target[0]) : null;
        return {rule: v.id, impact: n.impact || v.impact, target: n.target.join(' >>> '),
                html: n.html.slice(0, 160), why: (n.failureSummary || '').slice(0, 240),
                allowed: allow.findIndex(a => a.rule === v.id && el && !!el.closest(a.within))};
    }));
}"""


def audit(app: App, source: str, entries: list[dict]) -> list[dict]:
    """axe-core's violations on the page as it is now, each node marked with the allow-list entry covering it."""
    if not app.page.evaluate("() => typeof window.axe === 'object'"):
        app.page.add_script_tag(content=source)
    return app.page.evaluate(RUN_AXE, entries)


def own(found: list[dict]) -> list[dict]:
    """The violations the project must fix: serious or critical, or a promised rule, and not Streamlit's own."""
    return [v for v in found if v["allowed"] < 0 and (v["impact"] in FAILING or v["rule"] in PROMISED)]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_every_page_passes_axe(tab: Callable[..., App], server: Server, width: int, lang: str) -> None:
    source, entries = axe_source(), allowlist()
    app = tab(server, {"width": width, "height": WIDTHS[width]})
    report, problems = {}, []
    for name, path in PAGES.items():
        app.open(path, f"lang={lang}")
        charts = app.wait_for_charts(at_least=CHARTED.get(name, 0))
        assert all(c["marks"] for c in charts), f"{name}: charts not drawn before the audit: {charts}"
        found = audit(app, source, entries)
        report[name] = found
        where = f"{name} ({lang}, {width} px)"
        for v in own(found):
            problems.append(f"{where}: {v['impact']} {v['rule']} at {v['target']}: {v['html']}")
        problems += [f"{where}: {p}" for p in structure(app)]
        if name == "presenter":  # the dark room too, on a slide with a chart
            app.page.get_by_role("radio", name=t("presenter.theme.dark", lang)).or_(
                app.page.get_by_role("button", name=t("presenter.theme.dark", lang))
            ).first.click()
            app.settle()
            next_slide(app, lang)
            app.wait_for_charts(at_least=1)
            # the pointer that clicked leaves, and colours finish their transitions: axe judges the page at rest
            # (a button caught mid-fade from its hover colour once failed the contrast rule)
            app.page.mouse.move(0, 0)
            app.page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
            found = audit(app, source, entries)
            report["presenter-dark"] = found
            for v in own(found):
                problems.append(f"{where} dark: {v['impact']} {v['rule']} at {v['target']}: {v['html']}")
            problems += [f"{where} dark: {p}" for p in structure(app)]
    AUDITS[f"{lang}-{width}"] = [v for found in report.values() for v in found]
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{lang}-{width}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    assert problems == [], "\n".join(problems)


# Headings in order; every drawn chart named and described; every KPI tile read as label, value, target.
STRUCTURE = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const out = [];
    const levels = [...main.querySelectorAll('h1, h2, h3, h4, h5, h6')]
        .filter(h => h.offsetParent).map(h => [Number(h.tagName[1]), h.innerText.trim().slice(0, 40)]);
    if (!levels.length || levels[0][0] !== 1) out.push('the first heading is not the h1: ' + JSON.stringify(levels[0]));
    levels.forEach(([level, text], i) => {
        if (i && level > levels[i - 1][0] + 1) out.push(`heading h${level} "${text}" follows h${levels[i - 1][0]}`);
    });
    for (const chart of main.querySelectorAll('[data-testid="stPlotlyChart"]')) {
        if (!chart.offsetParent) continue;  // the presenter's next chart, drawn out of sight
        const box = chart.closest('[role="figure"]');
        const name = box && box.getAttribute('aria-label');
        const alt = box && document.getElementById(box.getAttribute('aria-describedby') || '');
        const figures = alt ? alt.textContent : '';
        if (!name) out.push('a chart without an accessible name');
        else if (!/[0-9]/.test(figures)) out.push(`chart "${name}" has no text alternative with its figures`);
    }
    for (const tile of main.querySelectorAll('[class*="st-key-tile_"]')) {
        const part = id => { const el = tile.querySelector(`[data-testid="${id}"]`); return el ? el.innerText.trim() : ''; };
        const text = tile.innerText, label = part('stMetricLabel'), value = part('stMetricValue');
        const note = part('stCaptionContainer');
        const at = [label, value, note].map(s => s ? text.indexOf(s) : -1);
        if (!(at[0] >= 0 && at[0] < at[1] && (note.trim() === '' || at[1] < at[2])))
            out.push(`tile "${label}" does not read label, value, target: ${JSON.stringify(text.slice(0, 120))}`);
    }
    return out;
}"""


def structure(app: App) -> list[str]:
    return app.page.evaluate(STRUCTURE)


def next_slide(app: App, lang: str) -> None:
    """Press the slide's Next button and wait for the counter to move."""
    before = app.page.locator(".st-key-slide_nav").inner_text()
    app.page.locator(".st-key-slide_nav").get_by_role("button", name=t("presenter.next", lang)).click()
    app.page.wait_for_function(
        "old => document.querySelector('.st-key-slide_nav').innerText !== old", arg=before, timeout=60_000
    )
    app.settle()


def test_every_allowlist_entry_is_streamlits_and_still_needed() -> None:
    """An entry names Streamlit's own markup, the Streamlit it was seen in, and a reason; once a full audit has run
    (every page, both languages, both widths) each entry must have covered some violation."""
    entries = allowlist()
    for entry in entries:
        assert {"rule", "within", "streamlit", "reason"} <= set(entry), entry
        assert "data-testid" in entry["within"] and entry["within"].count('"st') >= 1, entry
        assert entry["streamlit"] == streamlit.__version__, (
            f"{entry['rule']} in {entry['within']} was seen in Streamlit {entry['streamlit']}, installed is "
            f"{streamlit.__version__}: re-run the audit, delete the entries the upgrade fixed, move the rest"
        )
    if len(AUDITS) < len(WIDTHS) * 2:
        pytest.skip("the full audit did not run in this session (select the whole module)")
    used = {v["allowed"] for found in AUDITS.values() for v in found}
    stale = [f"{e['rule']} in {e['within']}" for i, e in enumerate(entries) if i not in used]
    assert stale == [], f"allow-list entries no longer needed (Streamlit fixed them: delete them): {stale}"


def test_an_analyst_imports_with_the_keyboard_alone(own_server: Callable[..., Server], tab: Callable[..., App]) -> None:
    app = tab(own_server())
    app.open("data", "lang=en")
    rows = [["捐赠编号", "捐赠日期", "捐赠方", "捐赠方类型", "金额(元)", "渠道"],
            ["KB-D001", "2023-12-20", "Keyboard donor", "企业", 10000, "bank transfer"]]  # fmt: skip
    # Playwright turns on file-chooser interception without waiting for it (fire and forget), so the waiter is set
    # up before the Tab presses, whose round trips make sure it is on before Enter is pressed
    with app.page.expect_file_chooser() as picked:
        # the drop zone's own button: Streamlit names it "Upload"; the page's stylesheet shows the catalogue's words
        chooser = tab_to(app, re.compile(r"(^|\s)Upload$|" + re.escape(t("data.upload.button", "en"))))
        assert chooser["ring"], "the file chooser's button has no visible focus"
        app.page.keyboard.press("Enter")
    picked.value.set_files(
        files=[{"name": "keyboard.xlsx", "mimeType": XLSX, "buffer": workbook_bytes({"捐赠": rows})}]
    )
    expect(app.page.get_by_text("keyboard.xlsx — ready to import")).to_be_visible()
    app.settle()
    importing = tab_to(app, re.compile(re.escape(t("data.import", "en", n=1))))
    assert importing["ring"], "the import button has no visible focus"
    app.page.keyboard.press("Enter")
    done = re.compile(r"keyboard\.xlsx: imported as batch B\d+")
    expect(app.page.get_by_text(done)).to_be_visible()
    app.settle()
    assert app.errors() == []
