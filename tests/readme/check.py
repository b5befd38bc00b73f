#!/usr/bin/env python3
"""Guard of the README's newcomer path.

Reads the run and test commands and the "First request" block from README.md itself,
clones the repository into a temporary directory, runs the run command there exactly as
written (no SWITCHYARD_* variables; a shared CARGO_TARGET_DIR keeps it fast), waits for
the printed admin key, runs the README's requests with that key and checks the answers.
It also times the newcomer path and the binary's start-up.

  check.py                 run the guard (exit 1 on any failure)
  check.py --print run     print the README's run command
  check.py --print test    print the README's test command (what .ci/run executes)

Standard library only; needs git, bash and curl.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# A cold release build on two cores takes minutes; a warm one seconds.
BUILD_TIMEOUT_S = 30 * 60
PORT = 8080


def fail(message: str) -> None:
    print(f"README check FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def section(text: str, heading: str) -> str:
    """The body of the `## heading` section."""
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not match:
        fail(f"README.md has no '## {heading}' section")
    return match.group(1)


def sh_blocks(body: str) -> list[str]:
    return [b.strip() for b in re.findall(r"^```sh\n(.*?)^```", body, re.M | re.S)]


def commands(block: str) -> list[str]:
    """Shell commands of a block: comments dropped, continuation lines joined."""
    out, current = [], ""
    for line in block.splitlines():
        line = re.sub(r"\s+#.*$", "", line) if not line.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        out.append((current + line).strip())
        current = ""
    return out


def readme() -> tuple[str, str, list[str]]:
    text = README.read_text()
    two = sh_blocks(section(text, "The two commands"))
    if len(two) < 2:
        fail("'## The two commands' must hold two ```sh blocks: run, then test")
    run, test = two[0], two[1]
    first = sh_blocks(section(text, "First request"))
    if not first:
        fail("'## First request' has no ```sh block")
    return run, test, commands(first[0])


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def wait_health(port: int, deadline: float) -> float | None:
    """Poll /health until it answers 200; the moment it did, or None."""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                if r.status == 200:
                    return time.monotonic()
        except OSError:
            pass
        time.sleep(0.002)
    return None


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHYARD_")}
    env["CARGO_TARGET_DIR"] = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    return env


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def check_answer(command: str, output: str) -> str:
    """Check one README request's answer; a short description of what was seen."""
    try:
        body = json.loads(output)
    except json.JSONDecodeError:
        fail(f"`{command}` did not answer JSON: {output[:300]!r}")
    if isinstance(body, dict) and "error" in body:
        fail(f"`{command}` answered an error: {output[:300]}")
    if "/v1/models" in command:
        ids = [m.get("id") for m in body.get("data", [])]
        if "mock-chat" not in ids:
            fail(f"`{command}` did not list mock-chat: {ids}")
        return f"{len(ids)} models"
    if "/chat/completions" in command:
        content = body["choices"][0]["message"]["content"] if body.get("choices") else None
        if body.get("object") != "chat.completion" or not content:
            fail(f"`{command}` is not a chat completion: {output[:300]}")
        return f"chat.completion: {content[:40]!r}"
    return "JSON"


def startup_time(binary: Path, env: dict[str, str]) -> float:
    """Seconds from exec to /health answering, in an empty directory (first run)."""
    with tempfile.TemporaryDirectory() as cwd:
        started = time.monotonic()
        proc = subprocess.Popen([str(binary), "serve"], cwd=cwd, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            ready = wait_health(PORT, started + 30)
        finally:
            stop(proc)
        if ready is None:
            fail(f"{binary} serve did not answer /health within 30 s")
        return ready - started


def main() -> None:
    run, test, requests = readme()
    if len(sys.argv) == 3 and sys.argv[1] == "--print":
        print({"run": run, "test": test}[sys.argv[2]])
        return
    if not port_free(PORT):
        fail(f"port {PORT} is taken; the README's requests go to localhost:{PORT}")
    env = clean_env()
    with tempfile.TemporaryDirectory(prefix="switchyard-readme-") as tmp:
        clone = Path(tmp) / "switchyard"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        print(f"$ {run}   (in a fresh clone, CARGO_TARGET_DIR={env['CARGO_TARGET_DIR']})")
        started = time.monotonic()
        proc = subprocess.Popen(["bash", "-c", run], cwd=clone, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        key: list[str] = []
        log: list[str] = []
        found = threading.Event()

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                log.append(line)
                m = re.match(r"^SWITCHYARD_ADMIN_KEY=(\S+)$", line.strip())
                if m and not key:
                    key.append(m.group(1))
                    found.set()
            found.set()

        threading.Thread(target=read, daemon=True).start()
        try:
            found.wait(BUILD_TIMEOUT_S)
            if not key:
                tail = "".join(log[-30:])
                fail(f"the run command printed no SWITCHYARD_ADMIN_KEY= line; its output ends:\n{tail}")
            answers = []
            for command in requests:
                if re.match(r"^export KEY=", command):
                    continue
                result = subprocess.run(["bash", "-c", command], env={**env, "KEY": key[0]},
                                        capture_output=True, text=True, timeout=30)
                if result.returncode != 0:
                    fail(f"`{command}` exited {result.returncode}: {result.stderr[:300]}")
                answers.append((command, check_answer(command, result.stdout)))
            first_answer = time.monotonic() - started
        finally:
            stop(proc)
        if not answers:
            fail("the 'First request' block makes no request")
        for command, seen in answers:
            print(f"  ok  {command.split(' -H')[0]}  -> {seen}")
        if proc.returncode not in (0, -signal.SIGTERM, 128 + signal.SIGTERM):
            fail(f"the gateway exited {proc.returncode} on SIGTERM")

    binary = Path(env["CARGO_TARGET_DIR"]) / "release" / "switchyard"
    if not binary.exists():
        fail(f"{binary} was not built by the run command")
    print(f"cargo run start to the README's requests answered: {first_answer:.2f} s")
    # Each start is a first run: an empty directory, so a new database, master key and
    # admin key every time.
    starts = sorted(startup_time(binary, env) for _ in range(5))
    print("binary start-up to /health (SQLite, first run): "
          f"median {starts[2] * 1000:.0f} ms, min {starts[0] * 1000:.0f} ms, max {starts[-1] * 1000:.0f} ms")
    if starts[2] > 0.5:
        print("  (above the 0.5 s target)")


if __name__ == "__main__":
    main()
