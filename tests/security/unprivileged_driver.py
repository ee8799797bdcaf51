"""The battery as an ordinary user runs it: started by test_unprivileged.py through `setpriv`.

Run as `nobody` with no capability, mgdebug here is an ordinary user's
mgdebug: the code under test runs as the same user as it and as the user's
files (the world below belongs to `nobody` too), so file permissions stop
nothing and only the sandbox's own walls count. Prints one JSON object:
attack id -> what the world showed afterwards (files changed, bytes heard,
live strays, leaked secrets) and what the code said.

    setpriv --reuid=nobody --regid=nogroup --clear-groups \
        python3 unprivileged_driver.py SITE_PACKAGES FOLDER
"""

from __future__ import annotations

import json
import os
import site
import sys
import uuid


def main() -> None:
    site_packages, folder = sys.argv[1], sys.argv[2]
    site.addsitedir(site_packages)  # the project's venv, readable; its interpreter may not be
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:0] = [here, os.path.dirname(here)]

    from pathlib import Path

    import test_audit_hook_walkarounds as walls
    import test_processes_and_resources as processes
    import test_result_channel as channel
    import test_secrets_battery as secrets
    from battery import SECRET, attempt, describe, make_world, scan_processes

    from mgdebug.debugger.options import Limits
    from mgdebug.debugger.sandbox.pool import Sandbox

    out: dict[str, dict[str, object]] = {}
    limits = Limits(wall_seconds=5, cpu_seconds=2)

    world = make_world(Path(folder) / "walls", walls.HOSTILE)
    with Sandbox(str(world.module), limits, workers=1) as box:
        out["isolation"] = {"said": json.dumps(box.isolation())}
        for name, (function, spec) in {**walls.ATTACKS, **_holes(walls)}.items():
            before = world.state()
            result = attempt(box, world.source, world.call(function, spec))
            after = world.state()
            out[name] = {
                "changed": sorted(
                    k for k in before.keys() | after.keys() if before.get(k) != after.get(k)
                ),
                "heard": [h.decode(errors="replace") for h in world.ears.listen()],
                "said": describe(result),
            }
    world.ears.close()

    world = make_world(Path(folder) / "secrets", secrets.HOSTILE)
    os.environ["HOME"] = str(world.home)  # the user's HOME, with their dot-files
    with Sandbox(str(world.module), limits, workers=1) as box:
        for name, make in secrets.CALLS.items():
            result = attempt(box, world.source, make(world))
            loot = describe(result) + result.stdout
            out[f"secret:{name}"] = {"leaked": SECRET in loot, "said": loot[:200]}
    world.ears.close()

    world = make_world(Path(folder) / "processes", processes.HOSTILE)
    with Sandbox(str(world.module), limits, workers=1) as box:
        for starter in processes.STARTERS:
            token = f"mgdebug-stray-{uuid.uuid4().hex}"
            result = attempt(box, world.source, f"{starter}({token!r})")
            out[f"process:{starter}"] = {
                "strays": _settled(scan_processes, token),
                "said": describe(result),
            }
        (worker,) = box.worker_pids()
        result = attempt(box, world.source, f"pidfd_kill({os.getpid()}, 9)")
        result = attempt(box, world.source, "pidfd_kill(os.getppid(), 9)")
        out["process:pidfd-kill"] = {"worker_alive": box.worker_pids() == [worker]}
    world.ears.close()

    world = make_world(Path(folder) / "channel", channel.HOSTILE)
    with Sandbox(str(world.module), limits, workers=1) as box:
        for forgery in channel.FORGERIES:
            result = attempt(box, world.source, forgery, expected="2")
            out[f"channel:{forgery}"] = {"status": result.status, "said": describe(result)}
    world.ears.close()
    print(json.dumps(out))


def _holes(walls: object) -> dict[str, tuple[str, str]]:
    return {name: call for name, (call, _) in walls.SAME_USER_HOLES.items()}  # type: ignore[attr-defined]


def _settled(scan: object, token: str) -> list[int]:
    import time

    deadline = time.monotonic() + 3
    while scan(token) and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)
    return scan(token)  # type: ignore[operator,no-any-return]


if __name__ == "__main__":
    main()
