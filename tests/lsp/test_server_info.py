"""The server names itself with the installed package's version, not a constant."""

from __future__ import annotations

from importlib import metadata

from pytest_lsp import LanguageClient


async def test_server_info_carries_the_package_version(fake_client: LanguageClient) -> None:
    info = fake_client.init_result.server_info  # type: ignore[attr-defined]
    assert info is not None and info.name == "mgdebug"
    assert info.version == metadata.version("mgdebug")
