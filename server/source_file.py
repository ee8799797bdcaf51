"""Reading the user's file safely: clear errors for missing, binary, huge or non-UTF-8 input."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024  # beyond this a "function" is not what the user wants debugged


class InputError(Exception):
    """The file cannot be debugged; the message says why, for the user."""


@dataclass(frozen=True)
class SourceFile:
    path: str
    text: str
    raw: bytes  # exactly what was read, so `--fix` can refuse if the file changed since


def decode_source(raw: bytes, path: str) -> str:
    if b"\x00" in raw[:8192]:
        raise InputError(f"{path} is a binary file, not Python source")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path} is not UTF-8 text: byte 0x{raw[exc.start]:02x} on line {line} "
            "(save it as UTF-8; Python 3 source is UTF-8 unless it declares otherwise)"
        ) from None
    return text.replace("\r\n", "\n")


def read_source(path: str) -> SourceFile:
    if not os.path.exists(path):
        raise InputError(f"no such file: {path}")
    if os.path.isdir(path):
        raise InputError(f"{path} is a folder; give a Python file")
    size = os.path.getsize(path)
    if size > MAX_BYTES:
        raise InputError(
            f"{path} is {size / 1e6:.1f} MB; mgdebug reads files up to {MAX_BYTES // 2**20} MB"
        )
    with open(path, "rb") as handle:
        raw = handle.read()
    return SourceFile(path=path, text=decode_source(raw, path), raw=raw)


def write_fix(source: SourceFile, new_text: str) -> None:
    """Write `new_text` over the file, refusing if it changed since it was read."""
    with open(source.path, "rb") as handle:
        current = handle.read()
    if current != source.raw:
        raise InputError(f"{source.path} changed since it was analysed; not writing the fix")
    newline = "\r\n" if b"\r\n" in source.raw else "\n"
    data = new_text.replace("\n", newline).encode("utf-8")
    if source.raw.startswith(b"\xef\xbb\xbf"):
        data = b"\xef\xbb\xbf" + data
    tmp = source.path + ".mgdebug-tmp"
    with open(tmp, "wb") as handle:
        handle.write(data)
    shutil.copymode(source.path, tmp)
    os.replace(tmp, source.path)
