"""Ground truth for the conformance benchmark: pytest's own verdict on every test.

Loaded into a plain pytest run of a project (`-p conformance_pytest_plugin`, with
this folder on PYTHONPATH), it records each test's node id, absolute file and
outcome, phase by phase, and writes them as JSON to $CONFORMANCE_PYTEST_OUT at the
end of the session. A plugin reads pytest's reports directly, where parsing
`--junitxml` or `-rA` would lose node ids (skips) or need them rebuilt from class
names. It runs in the project's interpreter: standard library and pytest only.
"""

from __future__ import annotations

import json
import os
from typing import Any

MESSAGE_LIMIT = 400
_items: dict[str, dict[str, Any]] = {}
_collect_errors: list[dict[str, str]] = []


def pytest_collection_finish(session: Any) -> None:
    for item in session.items:
        _items[item.nodeid] = {
            "nodeid": item.nodeid,
            "path": os.path.realpath(str(item.path)),
            "phases": {},
        }


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _collect_errors.append(
            {"nodeid": report.nodeid, "message": str(report.longrepr)[-MESSAGE_LIMIT:]}
        )


def pytest_runtest_logreport(report: Any) -> None:
    item = _items.setdefault(report.nodeid, {"nodeid": report.nodeid, "path": None, "phases": {}})
    phase: dict[str, Any] = {"outcome": report.outcome}
    if hasattr(report, "wasxfail"):
        phase["wasxfail"] = True
    if report.failed or report.skipped:
        phase["message"] = str(report.longrepr)[-MESSAGE_LIMIT:]
    item["phases"][report.when] = phase


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    out = os.environ.get("CONFORMANCE_PYTEST_OUT")
    if not out:
        return
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "items": list(_items.values()),
                "collect_errors": _collect_errors,
                "exitstatus": int(exitstatus),
            },
            handle,
        )
