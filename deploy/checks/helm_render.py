"""Render the Helm chart with Helm's own engine and compare it with deploy/k8s.

Helm's Go SDK comes from the PyPI package `helm-python-sdk` (a wheel bundling
libhelm_c, a C ABI over Helm's official Go SDK), so no `helm` binary is needed.

  python helm_render.py OUT_DIR

1. `helm lint --strict` of the chart; any warning or error fails.
2. Renders the chart three times: defaults (release `switchyard`, namespace
   `switchyard`), everything on (ingress, ServiceMonitor, chart-made Secret, media
   claim, digest), everything optional off. Each render is written to
   OUT_DIR/<case>/ for schema validation and checkov.
3. The default render must equal the plain manifests in deploy/k8s object by object
   (same kind and name), once Helm's bookkeeping is set aside: the labels
   helm.sh/chart, app.kubernetes.io/version and app.kubernetes.io/managed-by, the
   annotations helm.sh/*, checksum/* and checkov.io/*. Objects only one side has are
   listed: the chart makes no Namespace; deploy/k8s has no Ingress or ServiceMonitor.
"""

import difflib
import pathlib
import sys

import helm_python as helm
import yaml

DEPLOY = pathlib.Path(__file__).resolve().parent.parent
CHART = DEPLOY / "helm" / "switchyard"
PLAIN = DEPLOY / "k8s"

CASES = {
    "default": {},
    "all-on": {
        "secrets": {
            "create": True,
            "masterKey": "PLACEHOLDER",
            "adminKey": "PLACEHOLDER-admin-key",
            "webhookSecret": "PLACEHOLDER",
        },
        "database": {"url": "postgres://u:PLACEHOLDER@db:5432/switchyard"},
        "redis": {"url": "redis://:PLACEHOLDER@redis:6379"},
        "ingress": {
            "enabled": True,
            "className": "nginx",
            "tls": [{"secretName": "switchyard-tls", "hosts": ["switchyard.example.com"]}],
        },
        "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}},
        "media": {"existingClaim": "switchyard-media"},
        "image": {"digest": "sha256:" + "0" * 64},
        "extraEnv": [{"name": "SWITCHYARD_LOG", "value": "debug"}],
    },
    "minimal": {
        "autoscaling": {"enabled": False},
        "podDisruptionBudget": {"enabled": False},
        "networkPolicy": {"enabled": False},
        "migration": {"enabled": False},
        "redis": {"enabled": False},
        "serviceAccount": {"create": False},
        "replicaCount": 1,
    },
}

HELM_LABELS = {"helm.sh/chart", "app.kubernetes.io/version", "app.kubernetes.io/managed-by"}


def strip_helm(obj):
    """Drop Helm's bookkeeping labels and annotations everywhere in `obj`."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if key == "labels" and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k not in HELM_LABELS}
            if key == "annotations" and isinstance(value, dict):
                value = {
                    k: v
                    for k, v in value.items()
                    if not k.startswith(("helm.sh/", "checksum/", "checkov.io/"))
                }
            value = strip_helm(value)
            if key in ("labels", "annotations") and value == {}:
                continue
            out[key] = value
        return out
    if isinstance(obj, list):
        return [strip_helm(v) for v in obj]
    return obj


def docs(text):
    return [d for d in yaml.safe_load_all(text) if d]


def by_key(objects):
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def main():
    out = pathlib.Path(sys.argv[1])
    failures = 0

    report = helm.lint(str(CHART), strict=True, namespace="switchyard")
    problems = [m for m in report.get("messages") or [] if m.get("severity", 0) >= 2]
    problems += [{"error": e} for e in report.get("errors") or []]
    for m in problems:
        print(f"  helm lint: {m.get('path', '')} {m.get('error')}")
    print(f"helm lint --strict: {'ok' if not problems else f'{len(problems)} problem(s)'}")
    failures += bool(problems)

    rendered = {}
    with helm.Chart.load(str(CHART)) as chart:
        for case, values in CASES.items():
            manifests = chart.render(values, name="switchyard", namespace="switchyard", is_install=True)
            case_dir = out / case
            case_dir.mkdir(parents=True, exist_ok=True)
            objects = []
            for path, text in sorted(manifests.items()):
                if not path.endswith((".yaml", ".yml")) or not text.strip():
                    continue
                found = docs(text)
                if not found:
                    continue
                (case_dir / pathlib.Path(path).name).write_text(text)
                objects += found
            kinds = sorted({o["kind"] for o in objects})
            print(f"helm render [{case}]: {len(objects)} objects ({', '.join(kinds)}) -> {case_dir}")
            rendered[case] = objects

    chart_objs = by_key(strip_helm(o) for o in rendered["default"])
    plain_objs = {}
    for f in sorted(PLAIN.glob("*.yaml")):
        plain_objs.update(by_key(strip_helm(o) for o in docs(f.read_text())))

    for key in sorted(set(chart_objs) | set(plain_objs)):
        kind, name = key
        if key not in chart_objs:
            print(f"  only in deploy/k8s: {kind}/{name}")
            continue
        if key not in plain_objs:
            print(f"  only in the chart's default render: {kind}/{name}")
            continue
        a = yaml.safe_dump(plain_objs[key], sort_keys=True).splitlines()
        b = yaml.safe_dump(chart_objs[key], sort_keys=True).splitlines()
        if a == b:
            print(f"  same: {kind}/{name}")
        else:
            failures += 1
            print(f"  DIFFERENT: {kind}/{name}")
            for line in difflib.unified_diff(a, b, "deploy/k8s", "helm default", lineterm="", n=2):
                print("    " + line)
    print("helm default render vs deploy/k8s: " + ("ok" if not failures else "FAILED"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
