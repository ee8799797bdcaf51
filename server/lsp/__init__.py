"""The mgdebug language server (pygls 2): `run_stdio()` serves LSP on stdin/stdout."""

from .main import run_stdio

__all__ = ["run_stdio"]
