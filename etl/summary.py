"""What an import will change, in business terms, as message keys with their parameters."""

from __future__ import annotations

from etl.load import FileResult

Item = tuple[str, dict]


def change_summary(result: FileResult) -> list[Item]:
    """E.g. adds 12 training sessions; marks 3 projects completed; fund raised goes from A to B."""
    items: list[Item] = []
    added: dict[str, int] = {}
    updated: dict[str, int] = {}
    for sheet in result.sheets:
        added[sheet["kind"]] = added.get(sheet["kind"], 0) + sheet["inserted"]
        updated[sheet["kind"]] = updated.get(sheet["kind"], 0) + sheet["updated"]
    for kind, n in added.items():
        if n:
            items.append(("summary.adds", {"n": n, "kind": kind}))
    for kind, n in updated.items():
        if n:
            items.append(("summary.updates", {"n": n, "kind": kind}))
    before, after = result.before, result.after
    if before and after:
        completed = after["projects_completed"] - before["projects_completed"]
        if completed > 0:
            items.append(("summary.completed", {"n": completed}))
        elif completed < 0:
            items.append(("summary.uncompleted", {"n": -completed}))
        for metric in ("fund_raised", "fund_used"):
            if after[metric] != before[metric]:
                items.append((f"summary.{metric}", {"before": before[metric], "after": after[metric]}))
    if not items:
        items.append(("summary.nothing", {}))
    return items
