"""Seccomp and capabilities: what Landlock does not govern, refused by the kernel too.

Landlock (landlock.py) holds writes, TCP and signals. Tried as an attacker
would (tests/security/), code under test running as root with Landlock on
could still, through ctypes: send UDP datagrams anywhere (Landlock's network
rules cover TCP only), connect to a Unix socket file outside the run (the
Docker socket is root on the host; an ssh-agent signs for the user), create
raw or netlink sockets, make a file outside setuid root or give it file
capabilities (chmod, chown and xattrs are not writes to Landlock), make a
device node in its scratch folder and write the disk through it, and read
`/proc/<mgdebug pid>/environ` in spite of mgdebug being non-dumpable
(CAP_SYS_PTRACE). Applied in the grandchild after Landlock, for good and for
everything it starts:

- capabilities: all dropped, from the bounding set too, so a process that
  stays uid 0 (no `nobody` to drop to, or `drop_privileges` off) is an
  ordinary user that happens to own root's files;
- a seccomp filter (needs no_new_privs, which Landlock set) refusing with
  EPERM: sockets other than TCP/IPv4-6 (which Landlock governs) unless the
  network is allowed, `socketpair` staying open; chmod that sets the setuid
  or setgid bit or makes a file writable by others; chown; extended
  attributes; device nodes; ptrace and process_vm_*; io_uring (its
  operations would bypass the socket rule); namespaces, mounts, BPF, perf,
  keyrings, modules and kexec; any system call made under a foreign ABI
  (i386, x32), whose numbers differ; and, when the run may start no process
  (`Limits.max_processes` 0, the default), every fork but a thread's.

Not covered, by design: chmod of the user's own files outside the run (to a
mode without those bits: `chmod 644` on a secret) and their timestamps, which
Landlock does not govern and the code under test needs in its scratch folder
(`shutil.copy` copies modes).

x86_64 and aarch64; elsewhere `install` says so and the other layers remain.
Stdlib only, Python 3.9: part of the child kit.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform

from .libc import libc

# struct seccomp_data: nr (u32), arch (u32), ip (u64), args[6] (u64): low word first.
_NR, _ARCH = 0, 4


def _arg(index: int) -> int:
    return 16 + 8 * index


_LD, _JEQ, _JSET, _AND, _RET = 0x20, 0x15, 0x45, 0x54, 0x06
_ALLOW = 0x7FFF0000
_DENY = 0x00050000 | errno.EPERM
_NO_SUCH_CALL = 0x00050000 | errno.ENOSYS  # clone3: libc then falls back to clone
_CLONE3 = 435  # the same on both
_CLONE_THREAD = 0x00010000
_X32_BIT = 0x40000000
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2
_PR_CAPBSET_DROP, _LAST_CAP = 24, 63
_AF_INET, _AF_INET6, _SOCK_STREAM, _IPPROTO_TCP = 2, 10, 1, 6
# chmod modes refused: setuid/setgid, and writable by group or others (as root:
# `chmod 666 /etc/passwd`). Plain modes stay, for the scratch folder's own files.
_REFUSED_MODE_BITS = 0o6022

# Per machine: its audit arch, then the numbers of the calls the filter looks at.
_TABLES: dict[str, tuple[int, dict[str, object]]] = {
    "x86_64": (
        0xC000003E,
        {
            "socket": 41,
            "clone": 56,
            "forks": (57, 58),  # fork, vfork
            # name -> position of the mode argument
            "chmod_mode": {90: 1, 91: 1, 268: 2, 452: 2},
            "denied": (
                92, 93, 94, 260,  # chown, fchown, lchown, fchownat
                188, 189, 190, 197, 198, 199, 463, 466,  # set/remove xattr
                133, 259,  # mknod, mknodat
                101, 310, 311, 438, 440,  # ptrace, process_vm_*, pidfd_getfd, process_madvise
                425, 426, 427,  # io_uring
                272, 308, 165, 166, 155, 161,  # unshare, setns, mount, umount2, pivot_root, chroot
                428, 429, 430, 431, 432, 442,  # the new mount API
                303, 304,  # name_to_handle_at, open_by_handle_at
                321, 298, 323,  # bpf, perf_event_open, userfaultfd
                248, 249, 250,  # add_key, request_key, keyctl
                246, 320, 175, 313, 176,  # kexec, modules
                167, 168, 169, 163,  # swapon, swapoff, reboot, acct
            ),
        },
    ),
    "aarch64": (
        0xC00000B7,
        {
            "socket": 198,
            "clone": 220,
            "forks": (),
            "chmod_mode": {52: 1, 53: 2, 452: 2},
            "denied": (
                55, 54,  # fchown, fchownat
                5, 6, 7, 14, 15, 16, 463, 466,  # set/remove xattr
                33,  # mknodat
                117, 270, 271, 438, 440,
                425, 426, 427,
                97, 268, 40, 39, 41, 51,
                428, 429, 430, 431, 432, 442,
                264, 265,
                280, 241, 282,
                217, 218, 219,
                104, 294, 105, 273, 106,
                224, 225, 142, 89,
            ),
        },
    ),
}  # fmt: skip


class _Program:
    """Classic BPF with forward jumps to named labels, resolved at the end."""

    def __init__(self) -> None:
        self.code: list[tuple[int, int | str, int | str, int]] = []
        self.labels: dict[str, int] = {}

    def op(self, code: int, k: int, jt: int | str = 0, jf: int | str = 0) -> None:
        self.code.append((code, jt, jf, k))

    def label(self, name: str) -> None:
        self.labels[name] = len(self.code)

    def assemble(self) -> ctypes.Array[ctypes.c_uint64]:
        words = (ctypes.c_uint64 * len(self.code))()
        for i, (code, jt, jf, k) in enumerate(self.code):
            t = self.labels[jt] - i - 1 if isinstance(jt, str) else jt
            f = self.labels[jf] - i - 1 if isinstance(jf, str) else jf
            assert 0 <= t < 256 and 0 <= f < 256, "a jump too long for classic BPF"
            words[i] = code | (t << 16) | (f << 24) | (k << 32)
        return words


def _filter(arch: int, table: dict[str, object], network: bool, processes: bool) -> _Program:
    p = _Program()
    p.op(_LD, _ARCH)
    p.op(_JEQ, arch, 1, 0)
    p.op(_RET, _DENY)  # a foreign ABI: its numbers would mean other calls
    p.op(_LD, _NR)
    if arch == 0xC000003E:
        p.op(_JSET, _X32_BIT, "deny", 0)
    for nr in table["denied"]:  # type: ignore[attr-defined]
        p.op(_JEQ, nr, "deny", 0)
    if not processes:
        for nr in table["forks"]:  # type: ignore[attr-defined]
            p.op(_JEQ, nr, "deny", 0)
        p.op(_JEQ, _CLONE3, 0, 1)
        p.op(_RET, _NO_SUCH_CALL)  # clone3's flags are in memory the filter cannot read
        p.op(_JEQ, table["clone"], 0, "clone_done")  # type: ignore[arg-type]
        p.op(_LD, _arg(0))
        p.op(_JSET, _CLONE_THREAD, "allow", "deny")  # threads yes, processes no
        p.label("clone_done")
    for n, (nr, position) in enumerate(table["chmod_mode"].items()):  # type: ignore[attr-defined]
        p.op(_JEQ, nr, 0, f"chmod{n}")
        p.op(_LD, _arg(position))
        p.op(_JSET, _REFUSED_MODE_BITS, "deny", "allow")
        p.label(f"chmod{n}")
    if not network:
        p.op(_JEQ, table["socket"], 0, "allow")  # type: ignore[arg-type]
        p.op(_LD, _arg(0))
        p.op(_JEQ, _AF_INET, "inet", 0)
        p.op(_JEQ, _AF_INET6, "inet", "deny")
        p.label("inet")
        p.op(_LD, _arg(1))
        p.op(_AND, 0xF)  # SOCK_CLOEXEC and SOCK_NONBLOCK are higher bits
        p.op(_JEQ, _SOCK_STREAM, 0, "deny")
        p.op(_LD, _arg(2))
        p.op(_JEQ, 0, "allow", 0)
        p.op(_JEQ, _IPPROTO_TCP, "allow", "deny")  # not SCTP or MPTCP: Landlock is TCP's
    p.label("allow")
    p.op(_RET, _ALLOW)
    p.label("deny")
    p.op(_RET, _DENY)
    return p


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def supported() -> bool:
    return platform.system() == "Linux" and platform.machine() in _TABLES


CAP_DAC_READ_SEARCH = 1 << 2
_PR_SET_KEEPCAPS = 8


_state: dict[str, object] = {}


def _libc() -> ctypes.CDLL:
    found = libc()
    if found is None:
        raise OSError("no C library to load: seccomp and capabilities need Linux")
    return found


def _drop_bounding_set(libc: ctypes.CDLL, keep: int) -> None:
    """Once per process: a second pass would only meet EPERM (CAP_SETPCAP is gone)."""
    if _state.get("bounding") == os.getpid():
        return
    for cap in range(_LAST_CAP + 1):
        if not keep & (1 << cap):
            libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # EINVAL past the kernel's last: fine
    _state["bounding"] = os.getpid()


def keep_capabilities(keep: int) -> None:
    """Before a setuid away from root: keep the capabilities in `keep` through it, no others.

    The bounding set loses the rest now, while CAP_SETPCAP is still there.
    """
    libc = _libc()
    _drop_bounding_set(libc, keep)
    libc.prctl(_PR_SET_KEEPCAPS, 1, 0, 0, 0)


def drop_capabilities(keep: int = 0, libc: ctypes.CDLL | None = None) -> bool:
    """No capability left but `keep` (bits of the first 32), now or after an exec; whether it held.

    Even as uid 0: the bounding set is emptied too (once CAP_SETPCAP is gone
    this fails quietly, which is fine: keep_capabilities did it before).
    """
    libc = libc or _libc()
    _drop_bounding_set(libc, keep)
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3: two data words
    data = (_CapData * 2)()
    data[0].effective = data[0].permitted = keep
    return bool(libc.capset(ctypes.byref(header), ctypes.byref(data)) == 0)


_programs: dict[tuple[bool, bool], ctypes.Array[ctypes.c_uint64]] = {}


def program(network: bool, processes: bool) -> ctypes.Array[ctypes.c_uint64]:
    """The filter, assembled once per worker (worker.py calls it before forking)."""
    key = (network, processes)
    if key not in _programs:
        arch, table = _TABLES[platform.machine()]
        _programs[key] = _filter(arch, table, network, processes).assemble()
    return _programs[key]


def install(network: bool = False, keep: int = 0, processes: bool = True) -> tuple[bool, str]:
    """Drop capabilities (but `keep`) and install the filter for this process and its children.

    (installed, "" or why not). Call after no_new_privs is set (landlock.restrict).
    `processes` False: no fork, vfork or clone but of a thread (Limits.max_processes
    0), which ctypes, `_posixsubprocess` and `os.posix_spawn` reach without an
    audit event.
    """
    if not supported():
        return False, f"seccomp filter not written for {platform.machine()}"
    try:
        libc = _libc()
    except OSError:
        return False, "no libc"
    if not drop_capabilities(keep, libc):
        return False, "capset refused: " + _errno()
    words = program(network, processes)
    fprog = _Fprog(len(words), ctypes.cast(words, ctypes.c_void_p))
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        return False, "seccomp refused the filter: " + _errno()
    return True, ""


def _errno() -> str:
    return os.strerror(ctypes.get_errno())
