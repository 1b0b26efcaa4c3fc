#!/usr/bin/env python3
"""MIAM's two front-door commands, needing nothing but Python ≥ 3.11.

python3 dev.py demo   # venv, install, migrate, reference data, demo data, server on :8000
python3 dev.py test   # venv, install, the whole test suite on 2 xdist workers (extra args go to pytest)
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".installed-lock"
DEMO_DEPARTEMENTS = "21,25,39,71"  # the four MIAM pilot PATs (Bourgogne-Franche-Comté)


def run(*args: str, env: dict | None = None) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run(args, cwd=ROOT, check=True, env={**os.environ, **(env or {})})  # noqa: S603 (our own commands)


def ensure_env() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be started by an older Python)
        sys.exit("MIAM needs Python 3.11 or newer.")
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    lock = LOCK.read_text()
    if not STAMP.exists() or STAMP.read_text() != lock:
        run(str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(str(PY), "-m", "pip", "install", "--quiet", "-r", str(LOCK))
        STAMP.write_text(lock)


def demo(args: list[str]) -> None:
    ensure_env()
    env = {"DEBUG": os.environ.get("DEBUG", "1")}
    manage = [str(PY), "manage.py"]
    run(*manage, "migrate", "--noinput", env=env)
    run(*manage, "load_communes", "--departements", DEMO_DEPARTEMENTS, env=env)
    run(*manage, "seed_demo", env=env)
    run(*manage, "runserver", "127.0.0.1:8000", *args, env=env)


#: The suite runs on two pytest-xdist workers unless the caller chose (``-n 4``, ``-n 0``,
#: ``-p no:xdist``); ``--dist loadgroup`` keeps tests marked ``xdist_group`` on one worker.
TEST_WORKERS = ["-n", "2", "--dist", "loadgroup"]


def chose_workers(args: list[str]) -> bool:
    options = ("-n", "--numprocesses", "--dist", "-d", "--tx", "no:xdist", "-pno:xdist")
    return any(a in options or a.startswith(("-n", "--numprocesses=", "--dist=", "--tx=")) for a in args)


def test(args: list[str]) -> None:
    ensure_env()
    run(str(PY), "-m", "pytest", *([] if chose_workers(args) else TEST_WORKERS), *args)


if __name__ == "__main__":
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])
