"""Load on the chat app: N concurrent logged-in sessions, each a 5-turn conversation, over Chainlit's websocket.

    .venv/bin/python bench/load.py                # N = 1, 10, 30 (make bench-load), 5 managers polling
    .venv/bin/python bench/load.py --sessions 5   # one level
    .venv/bin/python bench/load.py --managers 0   # patients alone

Starts its own `coach serve` on a free loopback port (127.0.0.1 only) with a temporary data folder: the guideline
index copied from data/chroma when there is one (then `coach index` brings it up to date, or builds it), the demo
patient and one patient account per further session. Each session logs in with its own account and talks as
the browser does (bench/chainlit_client.py); the answers come from the default `composer` backend. A turn's
latency runs from sending the message to the end of the server's `on_message` step (the whole answer, its
steps, sources and charts delivered). Meanwhile M health managers (each assigned every patient) poll the
console as its pages do: the caseload, the alerts and a patient's take-over log, one request every
MANAGER_POLL_S seconds each, with their latency and errors reported apart. Results go to
bench/results/load-<time>.json and a table is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chainlit_client import ChainlitError, ChainlitSession  # noqa: E402
from bench.labelled import percentile  # noqa: E402
from coach.demo import DEMO_PASSWORD, DEMO_USERNAME  # noqa: E402

COACH = str(Path(sys.executable).parent / "coach")
RESULTS = ROOT / "bench" / "results"
PASSWORD = "bench-patient-2026"
SORRY = "Sorry, something went wrong"  # the app's answer when answering failed
CONVERSATION = [
    "My blood pressure this morning was 142/91, is that too high?",
    "What can I eat to bring it down?",
    "My fasting glucose was 6.3 mmol/L today. Do I have diabetes?",
    "How much exercise should I do each week?",
    "Is my weight ok?",
]
MANAGER_PASSWORD = "bench-manager-2026"
MANAGER_POLL_S = 1.0  # each manager: a page a second (the take-over page alone polls every 2 s)
TURN_TIMEOUT = 60.0
LEVEL_TIMEOUT = 600.0  # a level that takes longer is stopped and its unfinished turns counted as errors


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_data(data_dir: Path, accounts: int, managers: int = 0) -> tuple[list[str], list[str]]:
    """The index, the demo patient, `accounts - 1` more patients and `managers` health managers (each assigned
    every patient) in `data_dir`; returns the patients' and the managers' usernames."""
    from coach.accounts import AccountStore
    from coach.demo import seed_demo
    from coach.models import Profile
    from coach.profile.store import ProfileStore
    from coach.settings import load_settings

    if (ROOT / "data" / "chroma").is_dir():
        shutil.copytree(ROOT / "data" / "chroma", data_dir / "chroma")
    subprocess.run([COACH, "index"], env=server_env(data_dir), check=True, capture_output=True)
    settings = load_settings(data_dir=data_dir)
    profiles, logins = ProfileStore(settings.database), AccountStore(settings.database)
    seed_demo(profiles, logins)
    names = [DEMO_USERNAME]
    regions = ("us", "eu", "cn", "global")
    for i in range(1, accounts):
        name = f"bench-{i:02d}"
        profiles.create_profile(Profile(id=name, display_name=f"Patient {i}", birth_year=1950 + i, sex="female",
                                        height_cm=160 + i % 20, conditions=["htn"], region=regions[i % 4]))
        logins.add(name, "patient", PASSWORD, profile_id=name)
        names.append(name)
    staff = []
    for i in range(managers):
        name = f"manager-{i:02d}"
        logins.add(name, "manager", MANAGER_PASSWORD)
        logins.assign(name, names)
        staff.append(name)
    return names, staff


def server_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    env.update(COACH_DATA_DIR=str(data_dir), COACH_GENERATION__BACKEND="composer", HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", CHAINLIT_AUTH_SECRET=secrets.token_urlsafe(48))
    return env


def start_server(data_dir: Path, port: int, log: Path, timeout: float = 180) -> subprocess.Popen:
    process = subprocess.Popen([COACH, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                               env=server_env(data_dir), stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/project/settings?language=en-US", timeout=2):
                return process
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error status: the server answers
                return process
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"the app did not answer within {timeout:.0f} s; see {log}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc): the server's cost per turn."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


async def run_level(url: str, usernames: list[str], sessions: int, managers: list[str] = ()) -> dict:
    """`sessions` sessions log in and connect together, then all hold their conversation at once, while the
    `managers` poll the console.

    A turn is an error when it is not answered in time, or answered with Chainlit's error message or the app's
    "Sorry"; a session that cannot connect counts all its turns as errors.
    """
    clients = [ChainlitSession(url, name, DEMO_PASSWORD if name == DEMO_USERNAME else PASSWORD, timeout=TURN_TIMEOUT)
               for name in (usernames[i % len(usernames)] for i in range(sessions))]
    problems: list[str] = []
    connect_ms: list[float] = []
    latency_ms: list[float] = []  # good turns only
    first_output_ms: list[float] = []

    async def connect(client: ChainlitSession) -> bool:
        t = time.perf_counter()
        try:
            await client.connect()
        except (ChainlitError, OSError, asyncio.TimeoutError) as error:
            problems.append(f"{client.username}: connect: {error}")
            return False
        connect_ms.append((time.perf_counter() - t) * 1000)
        return True

    async def converse(client: ChainlitSession) -> None:
        for text in CONVERSATION:
            try:
                turn = await client.ask(text)
            except (ChainlitError, OSError) as error:
                problems.append(f"{client.username}: {error}")
                return
            if turn.is_error or not turn.answer or turn.answer.startswith(SORRY):
                problems.append(f"{client.username}: {text[:30]!r} answered with an error: {turn.answer[:80]!r}")
                continue
            latency_ms.append(turn.latency * 1000)
            if turn.first_output_at is not None:
                first_output_ms.append((turn.first_output_at - turn.sent_at) * 1000)

    staff = [ChainlitSession(url, name, MANAGER_PASSWORD, timeout=TURN_TIMEOUT) for name in managers]
    page_ms: list[float] = []
    page_errors: list[str] = []
    done = asyncio.Event()

    async def poll(manager: ChainlitSession, offset: int) -> None:
        """The console as a manager has it open: caseload, alerts, a patient's take-over log, in turn."""
        try:
            await manager.login()
        except (ChainlitError, OSError) as error:
            page_errors.append(f"{manager.username}: login: {error}")
            return
        await asyncio.sleep(offset * MANAGER_POLL_S / max(1, len(staff)))  # spread over the interval
        pages = ["/manager", "/manager/alerts"] + [f"/manager/patients/{u}/chat/log?after=0" for u in usernames[:5]]
        i = 0
        while not done.is_set():
            path = pages[i % len(pages)]
            i += 1
            t = time.perf_counter()
            try:
                status, _ = await manager.request("GET", path)
            except (OSError, asyncio.TimeoutError) as error:
                page_errors.append(f"{manager.username}: {path}: {error!r}")
            else:
                if status == 200:
                    page_ms.append((time.perf_counter() - t) * 1000)
                else:
                    page_errors.append(f"{manager.username}: {path}: HTTP {status}")
            try:
                await asyncio.wait_for(done.wait(), MANAGER_POLL_S)
            except asyncio.TimeoutError:
                pass

    elapsed = 0.0
    pollers = [asyncio.create_task(poll(m, k)) for k, m in enumerate(staff)]
    try:
        connected = await asyncio.gather(*(connect(c) for c in clients))
        talking = [c for c, ok in zip(clients, connected) if ok]
        started = time.perf_counter()
        try:
            await asyncio.wait_for(asyncio.gather(*(converse(c) for c in talking)), LEVEL_TIMEOUT)
        except asyncio.TimeoutError:
            problems.append(f"the level did not finish within {LEVEL_TIMEOUT:.0f} s")
        elapsed = time.perf_counter() - started
    finally:
        done.set()
        await asyncio.gather(*pollers, return_exceptions=True)
        await asyncio.gather(*(c.close() for c in clients + staff), return_exceptions=True)
    expected = sessions * len(CONVERSATION)

    def stats(values: list[float]) -> dict:
        return {"p50": round(percentile(values, 50), 1), "p95": round(percentile(values, 95), 1),
                "max": round(max(values), 1)} if values else {"p50": None, "p95": None, "max": None}

    return {"sessions": sessions, "turns": expected, "answered": len(latency_ms), "errors": expected - len(latency_ms),
            "seconds": round(elapsed, 2), "turns_per_s": round(len(latency_ms) / elapsed, 2) if elapsed else None,
            "latency_ms": stats(latency_ms), "first_output_ms": stats(first_output_ms),
            "connect_ms": stats(connect_ms), "problems": problems[:10],
            "managers": {"count": len(staff), "requests": len(page_ms) + len(page_errors), "errors": len(page_errors),
                         "latency_ms": stats(page_ms), "problems": page_errors[:10]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, action="append", help="Concurrent sessions (repeatable); "
                        "default 1, 10 and 30")
    parser.add_argument("--managers", type=int, default=5, help="Health managers polling the console (default 5)")
    args = parser.parse_args()
    levels = args.sessions or [1, 10, 30]
    if not 0 <= args.managers <= 20:
        parser.error("--managers must be between 0 and 20")
    if any(n < 1 or n > 100 for n in levels):
        parser.error("--sessions must be between 1 and 100")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    with tempfile.TemporaryDirectory(prefix="coach-load-") as tmp:
        data_dir = Path(tmp)
        print(f"preparing {max(levels)} patient accounts and the index in {data_dir} ...", flush=True)
        usernames, managers = prepare_data(data_dir, max(levels), args.managers)
        port = free_port()
        log = RESULTS / f"load-{stamp}-server.log"
        started = time.perf_counter()
        server = start_server(data_dir, port, log)
        print(f"server on 127.0.0.1:{port} after {time.perf_counter() - started:.0f} s (log: {log})", flush=True)
        try:
            url = f"http://127.0.0.1:{port}"
            asyncio.run(run_level(url, usernames, 1))  # warm-up: first answers load lazy parts
            results = []
            for n in levels:
                load, before = os.getloadavg()[0], cpu_seconds(server.pid)
                result = asyncio.run(run_level(url, usernames, n, managers))
                if before is not None and result["answered"]:  # logins included: scrypt is ~50 ms a session
                    used = cpu_seconds(server.pid) - before
                    result["server_cpu_ms_per_turn"] = round(used * 1000 / result["answered"])
                result["load_average_before"] = round(load, 2)  # other work on the machine skews everything
                results.append(result)
                print(f"N={n}: {result['answered']} of {result['turns']} turns answered in {result['seconds']} s",
                      flush=True)
        finally:
            stop_server(server)
    report = {"date": dt.date.today().isoformat(), "backend": "composer", "conversation": CONVERSATION,
              "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform()},
              "levels": results}
    out = RESULTS / f"load-{stamp}.json"
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print()
    print("| sessions | turns | turns/s | p50 ms | p95 ms | max ms | errors | server CPU ms/turn | load before |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        lat = r["latency_ms"]
        print(f"| {r['sessions']} | {r['turns']} | {r['turns_per_s']} | {_ms(lat['p50'])} | {_ms(lat['p95'])} | "
              f"{_ms(lat['max'])} | {r['errors']} | {_ms(r.get('server_cpu_ms_per_turn'))} | "
              f"{r['load_average_before']} |")
    if managers:
        print(f"\n{len(managers)} health managers polling the console (caseload, alerts, take-over log):\n")
        print("| sessions | console requests | p50 ms | p95 ms | max ms | errors |")
        print("|---:|---:|---:|---:|---:|---:|")
        for r in results:
            m = r["managers"]
            print(f"| {r['sessions']} | {m['requests']} | {_ms(m['latency_ms']['p50'])} | {_ms(m['latency_ms']['p95'])} | "
                  f"{_ms(m['latency_ms']['max'])} | {m['errors']} |")
    print(f"\nwritten to {out.relative_to(ROOT)}")
    for r in results:
        for problem in r["problems"] + r["managers"]["problems"]:
            print(f"  N={r['sessions']}: {problem}")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


if __name__ == "__main__":
    main()
