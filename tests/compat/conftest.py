"""Fixtures: mock upstreams, and one real `switchyard serve` process configured to use them."""

import os
import pathlib
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

import upstreams

ROOT = pathlib.Path(__file__).resolve().parents[2]
ADMIN_KEY = "sy-compat-suite-admin-key-000"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONFIG = """
[[providers]]
name = "up-openai"
kind = "openai"
base_url = "{openai}/v1"
api_key = "{openai_key}"

[[providers]]
name = "up-anthropic"
kind = "anthropic"
base_url = "{anthropic}"
api_key = "{anthropic_key}"

[[models]]
name = "gpt-4o-mini"
provider = "up-openai"
capabilities = ["stream", "tools", "json_mode", "vision"]
context_window = 128000
max_output_tokens = 16384
input_cost_per_mtok = 0.15
output_cost_per_mtok = 0.6

[[models]]
name = "gpt-rate-limited"
provider = "up-openai"

[[models]]
name = "text-embedding-3-small"
provider = "up-openai"
kinds = ["embedding"]

[[models]]
name = "dall-e-3"
provider = "up-openai"
kinds = ["image"]

[[models]]
name = "claude-haiku"
provider = "up-anthropic"
upstream_name = "claude-3-5-haiku-20241022"
capabilities = ["stream", "tools", "vision"]
context_window = 200000
max_output_tokens = 8192

[[models]]
name = "claude-overloaded"
provider = "up-anthropic"
"""


@pytest.fixture(scope="session")
def gateway():
    openai_server, openai_url = upstreams.start(upstreams.OpenAIHandler)
    anthropic_server, anthropic_url = upstreams.start(upstreams.AnthropicHandler)
    workdir = tempfile.mkdtemp(prefix="switchyard-compat-")
    config = pathlib.Path(workdir, "switchyard.toml")
    config.write_text(CONFIG.format(openai=openai_url, anthropic=anthropic_url,
                                    openai_key=upstreams.OPENAI_KEY, anthropic_key=upstreams.ANTHROPIC_KEY))
    port = free_port()
    binary = os.environ.get("SWITCHYARD_BIN", str(ROOT / "target" / "debug" / "switchyard"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHYARD_")}
    env.update(SWITCHYARD_LISTEN=f"127.0.0.1:{port}", SWITCHYARD_ADMIN_KEY=ADMIN_KEY,
               SWITCHYARD_LOG="warn", SWITCHYARD_LOG_FORMAT="json")
    log = open(pathlib.Path(workdir, "gateway.log"), "w")
    proc = subprocess.Popen([binary, "serve", "--config", str(config)], cwd=workdir, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/ready", timeout=1).status == 200:
                break
        except OSError:
            time.sleep(0.1)
        if proc.poll() is not None:
            raise RuntimeError(f"gateway exited: {pathlib.Path(workdir, 'gateway.log').read_text()}")
    else:
        proc.kill()
        raise RuntimeError("gateway did not become ready")
    yield {"base": base, "key": ADMIN_KEY}
    proc.terminate()
    proc.wait(timeout=30)
    openai_server.shutdown()
    anthropic_server.shutdown()


@pytest.fixture
def oai(gateway):
    import openai
    return openai.OpenAI(base_url=gateway["base"] + "/v1", api_key=gateway["key"], max_retries=0)


@pytest.fixture
def claude(gateway):
    import anthropic
    return anthropic.Anthropic(base_url=gateway["base"], api_key=gateway["key"], max_retries=0)
