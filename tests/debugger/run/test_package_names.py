"""The module under test is loaded under the name its importers use: `pkg`, not `pkg.__init__`."""

from __future__ import annotations

from pathlib import Path

from mgdebug.debugger.run.package_import import package_name, package_root


def _tree(root: Path, *files: str) -> None:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")


def test_a_package_s_own_init_is_the_package(tmp_path: Path) -> None:
    _tree(tmp_path, "shop/__init__.py", "shop/cart/__init__.py", "shop/cart/lines.py")
    init, sub_init = tmp_path / "shop/__init__.py", tmp_path / "shop/cart/__init__.py"
    assert package_name(str(init)) == "shop"
    assert package_root(str(init), "shop") == str(tmp_path), "the folder holding `shop`"
    assert package_name(str(sub_init)) == "shop.cart"
    assert package_root(str(sub_init), "shop.cart") == str(tmp_path)
    assert package_name(str(tmp_path / "shop/cart/lines.py")) == "shop.cart.lines", "as before"


def test_a_lone_module_is_still_loaded_alone(tmp_path: Path) -> None:
    _tree(tmp_path, "tool.py")
    assert package_name(str(tmp_path / "tool.py")) is None
