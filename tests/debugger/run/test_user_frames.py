"""Tracebacks name the user's files as they know them, wherever in the project they are."""

from __future__ import annotations

from mgdebug.debugger.run.user_frames import copied_project, shown_path

COPY = "/tmp/mgdebug-sandbox-abc123/proj"


def test_the_copied_project_is_found_above_a_module_folder_deep_inside_it() -> None:
    assert copied_project(f"{COPY}/pkg/sub") == COPY
    assert copied_project(COPY) == COPY
    assert copied_project("/home/me/proj/pkg") == "/home/me/proj/pkg", "not a scratch copy"


def test_a_test_file_beside_the_package_is_shown_relative_to_the_project() -> None:
    assert shown_path(f"{COPY}/tests/test_service.py", f"{COPY}/pkg") == "tests/test_service.py"
    assert shown_path(f"{COPY}/pkg/util.py", f"{COPY}/pkg") == "util.py", "as before"
    assert shown_path("/usr/lib/python3.11/json/__init__.py", f"{COPY}/pkg").startswith("/usr/")
