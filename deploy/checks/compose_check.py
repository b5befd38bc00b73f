"""Structural check of deploy/compose without Docker (used when `docker compose` is
not installed): every `${VAR:?…}` the file requires is in .env.example, every
depends_on names a service with a matching healthcheck or a one-shot, every named
volume is declared, every bind-mounted file exists, and the anchors resolve.

  python compose_check.py deploy/compose
"""

import pathlib
import re
import sys

import yaml


def main():
    root = pathlib.Path(sys.argv[1])
    compose = yaml.safe_load((root / "compose.yaml").read_text())
    text = (root / "compose.yaml").read_text()
    problems = []

    env_example = {}
    for line in (root / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env_example[key.strip()] = value
    for var in sorted(set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))):
        if not env_example.get(var):
            problems.append(f"${{{var}}} is required but has no value in .env.example")

    services = compose.get("services", {})
    volumes = set((compose.get("volumes") or {}).keys())
    for name, svc in services.items():
        if "image" not in svc and "build" not in svc:
            problems.append(f"{name}: neither image nor build")
        deps = svc.get("depends_on") or {}
        if isinstance(deps, list):
            deps = {d: {"condition": "service_started"} for d in deps}
        for dep, spec in deps.items():
            if dep not in services:
                problems.append(f"{name}: depends_on unknown service {dep}")
                continue
            cond = (spec or {}).get("condition", "service_started")
            other = services[dep]
            # Services built from the repository's Dockerfile inherit its HEALTHCHECK.
            if cond == "service_healthy" and "healthcheck" not in other and "build" not in other:
                problems.append(f"{name}: waits for {dep} to be healthy, which has no healthcheck")
            if cond == "service_completed_successfully" and other.get("restart") not in ("no", None):
                problems.append(f"{name}: waits for {dep} to complete, but {dep} restarts")
        for mount in svc.get("volumes") or []:
            source = mount.split(":", 1)[0]
            if source.startswith("."):
                if not (root / source).exists():
                    problems.append(f"{name}: bind mount source {source} does not exist")
            elif source not in volumes:
                problems.append(f"{name}: volume {source} is not declared")

    for p in problems:
        print("  " + p)
    print(f"compose structure: {len(services)} services, {'ok' if not problems else 'FAILED'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
