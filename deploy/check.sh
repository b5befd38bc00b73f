#!/usr/bin/env bash
# Checks of the deployment files (Dockerfile, deploy/compose, deploy/k8s, deploy/helm,
# deploy/terraform). Runs offline but for package registries: its tools go into
# deploy/.venv (PyPI) and deploy/.tools (a Debian package, unpacked, not installed).
#
#   bash deploy/check.sh            # what CI runs
#   bash deploy/check.sh --image    # also build the image and test it (needs a Docker daemon)
#
# A tool that cannot be had here is skipped with the reason; schema validation, the
# Helm render and checkov always run.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=deploy/.venv
TOOLS=deploy/.tools
# Not a dot-folder: checkov silently skips hidden directories.
OUT=deploy/out
IMAGE=0
[ "${1:-}" = "--image" ] && IMAGE=1

passed=() failed=() skipped=()
run() { # name, command... : run a check, record its result
  local name=$1; shift
  echo
  echo "== $name"
  if "$@"; then passed+=("$name"); else failed+=("$name"); echo "FAILED: $name"; fi
}
skip() { # name, reason
  echo
  echo "== $1"
  echo "SKIPPED: $2"
  skipped+=("$1 ($2)")
}

# ---------------------------------------------------------------- tools
if [ ! -x "$VENV/bin/python" ] || ! cmp -s deploy/requirements.txt "$VENV/.requirements"; then
  echo "installing the check tools into $VENV (first run: a few minutes)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r deploy/requirements.txt
  cp deploy/requirements.txt "$VENV/.requirements"
fi
PY="$VENV/bin/python"
export PATH="$PWD/$VENV/bin:$PATH"
rm -rf "$OUT"
mkdir -p "$OUT"

# ---------------------------------------------------------------- YAML and TOML
parse_all() {
  "$PY" - <<'EOF'
import pathlib, sys, tomllib, yaml
bad = 0
files = [p for p in pathlib.Path("deploy").rglob("*")
         if p.suffix in (".yaml", ".yml", ".toml")
         and not {".venv", ".tools", "out", ".terraform"} & set(p.parts)
         and "templates" not in p.parts]          # Helm templates are Go templates
for p in sorted(files):
    try:
        if p.suffix == ".toml":
            tomllib.loads(p.read_text())
        else:
            docs = [d for d in yaml.safe_load_all(p.read_text()) if d is not None]
            for d in docs:  # TOML embedded in ConfigMaps
                if isinstance(d, dict) and d.get("kind") == "ConfigMap":
                    for k, v in (d.get("data") or {}).items():
                        if k.endswith(".toml"):
                            tomllib.loads(v)
    except Exception as e:  # noqa: BLE001 - report every file
        bad += 1
        print(f"  {p}: {e}")
print(f"parsed {len(files)} YAML/TOML files, {bad} bad")
sys.exit(1 if bad else 0)
EOF
}
run "YAML/TOML parse" parse_all

# ---------------------------------------------------------------- Switchyard's own config check
BIN="${SWITCHYARD_BIN:-}"
if [ -z "$BIN" ]; then
  for b in target/debug/switchyard target/release/switchyard; do
    [ -x "$b" ] && BIN=$b && break
  done
fi
check_configs() {
  local cfg status=0
  "$PY" -c 'import yaml,sys; print(yaml.safe_load(open("deploy/k8s/configmap.yaml"))["data"]["switchyard.toml"], end="")' \
    >"$OUT/k8s-switchyard.toml"
  for cfg in deploy/compose/switchyard.toml "$OUT/k8s-switchyard.toml"; do
    echo "+ switchyard check-config --config $cfg"
    env -i PATH="$PATH" SWITCHYARD_WEBHOOK_SECRET=placeholder "$BIN" check-config --config "$cfg" || status=1
  done
  return $status
}
if [ -n "$BIN" ]; then
  run "switchyard check-config (compose, k8s)" check_configs
else
  skip "switchyard check-config (compose, k8s)" "no switchyard binary in target/ (cargo build) and SWITCHYARD_BIN unset"
fi

# ---------------------------------------------------------------- compose
run "compose structure (env, depends_on, volumes, mounts)" "$PY" deploy/checks/compose_check.py deploy/compose
if docker compose version >/dev/null 2>&1; then
  run "docker compose config" docker compose -f deploy/compose/compose.yaml \
    --env-file deploy/compose/.env.example config --quiet
else
  skip "docker compose config" "the docker compose plugin is not installed"
fi

# nginx -t on the compose nginx.conf, with Debian's nginx unpacked into deploy/.tools
# (upstream names replaced by loopback, paths moved to a scratch dir).
nginx_bin="$TOOLS/nginx/usr/sbin/nginx"
if [ ! -x "$nginx_bin" ] && command -v apt-get >/dev/null 2>&1; then
  mkdir -p "$TOOLS/debs"
  (cd "$TOOLS/debs" && { apt-get download nginx >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get download nginx >/dev/null 2>&1; }; }) || true
  for deb in "$TOOLS"/debs/nginx_*.deb; do [ -f "$deb" ] && dpkg-deb -x "$deb" "$TOOLS/nginx"; done
fi
nginx_test() {
  local dir
  dir=$(cd "$OUT" && pwd)/nginx
  mkdir -p "$dir"
  sed -e 's/gateway-[0-9]*:8080/127.0.0.1:8080/' -e "s|^pid .*|pid $dir/nginx.pid;|" \
    -e "s|^http {|http {\n    client_body_temp_path $dir/b; proxy_temp_path $dir/p; fastcgi_temp_path $dir/f; uwsgi_temp_path $dir/u; scgi_temp_path $dir/s;|" \
    deploy/compose/nginx.conf >"$dir/nginx.conf"
  "$nginx_bin" -t -p "$dir" -c "$dir/nginx.conf" -e /dev/stderr
}
if [ -x "$nginx_bin" ] && "$nginx_bin" -v >/dev/null 2>&1; then
  run "nginx -t (compose nginx.conf)" nginx_test
else
  skip "nginx -t (compose nginx.conf)" "Debian's nginx package could not be downloaded or run"
fi

# ---------------------------------------------------------------- Helm
run "helm lint, render and compare with deploy/k8s" "$PY" deploy/checks/helm_render.py "$OUT/helm"

# ---------------------------------------------------------------- Kubernetes schemas
k8s_validate() {
  # ServiceMonitor is a CRD without a bundled schema: a warning, not a failure.
  local files=(deploy/k8s/*.yaml deploy/k8s/examples/secret.yaml "$OUT"/helm/*/*.yaml)
  kubernetes-validate --strict --quiet "${files[@]}" || return 1
  echo "validated ${#files[@]} files against the Kubernetes $(kubernetes-validate --version 2>/dev/null | awk '{print $NF}') schemas (strict)"
}
run "Kubernetes schema validation (deploy/k8s and helm renders)" k8s_validate

# ---------------------------------------------------------------- checkov
checkov_scan() { # framework, -f FILE | -d DIR
  local framework=$1 log
  shift
  log="$OUT/checkov-$framework-$(basename "$2").log"
  checkov --quiet --compact --skip-download --framework "$framework" "$@" >"$log" 2>&1
  local status=$?
  grep -v '^$' "$log"
  # checkov says nothing when it found nothing to scan: treat that as a failure.
  grep -q 'scan results' "$log" || { echo "checkov scanned nothing in $2"; return 1; }
  return $status
}
run "checkov Dockerfile" checkov_scan dockerfile -f Dockerfile
run "checkov deploy/k8s" checkov_scan kubernetes -d deploy/k8s
run "checkov helm renders" checkov_scan kubernetes -d "$OUT/helm"
run "checkov deploy/terraform" checkov_scan terraform -d deploy/terraform

# ---------------------------------------------------------------- hadolint
if command -v hadolint >/dev/null 2>&1; then
  run "hadolint Dockerfile" bash -c 'hadolint --no-color Dockerfile && echo "hadolint: no findings"'
else
  skip "hadolint Dockerfile" "hadolint is not installed"
fi

# ---------------------------------------------------------------- Terraform
if command -v terraform >/dev/null 2>&1; then
  run "terraform fmt -check" bash -c 'terraform -chdir=deploy/terraform fmt -check -diff -recursive 2>&1 | grep -v -e "CLI configuration" -e "terraformrc" -e "^[╷│╵]" ; s=${PIPESTATUS[0]}; [ "$s" = 0 ] && echo "terraform fmt: all files formatted"; exit "$s"'
else
  skip "terraform fmt -check" "no terraform binary on PATH"
fi
hcl_parse() {
  "$PY" - <<'EOF'
import pathlib, sys
import hcl2  # bc-python-hcl2, checkov's HCL2 parser
bad = 0
files = sorted(pathlib.Path("deploy/terraform").glob("*.tf"))
blocks = {}
for p in files:
    try:
        with p.open() as fh:
            for kind, items in hcl2.load(fh).items():
                blocks[kind] = blocks.get(kind, 0) + len(items)
    except Exception as e:  # noqa: BLE001
        bad += 1
        print(f"  {p}: {e}")
print(f"parsed {len(files)} .tf files: {blocks}, {bad} bad")
sys.exit(1 if bad else 0)
EOF
}
run "HCL parse of deploy/terraform" hcl_parse
skip "terraform validate" "terraform init must download the AWS and random providers, and only package registries are reachable here"

# ---------------------------------------------------------------- image (local only)
image_test() {
  local tag=switchyard:check port=18080 name cid code
  name="switchyard-check-$$"
  docker build -t "$tag" . || return 1
  docker image inspect "$tag" --format 'image size: {{.Size}} bytes'
  cid=$(docker run -d --name "$name" -p "127.0.0.1:$port:8080" "$tag") || return 1
  for _ in $(seq 1 30); do
    curl -fsS "http://127.0.0.1:$port/health" && break
    sleep 1
  done
  echo
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready")
  echo "/ready: $code"
  docker stop --time 40 "$cid" >/dev/null # SIGTERM (STOPSIGNAL), then the drain
  docker inspect "$cid" --format 'exit code after SIGTERM: {{.State.ExitCode}}'
  local exit_code
  exit_code=$(docker inspect "$cid" --format '{{.State.ExitCode}}')
  docker logs "$cid" 2>&1 | tail -n 5
  docker rm "$cid" >/dev/null
  [ "$code" = 200 ] && [ "$exit_code" = 0 ]
}
if [ "$IMAGE" = 1 ]; then
  if docker info >/dev/null 2>&1; then
    run "image build and run (health, ready, SIGTERM)" image_test
  else
    skip "image build and run" "no Docker daemon answers (docker info)"
  fi
fi

# ---------------------------------------------------------------- summary
echo
echo "deploy/check.sh summary: ${#passed[@]} ok, ${#failed[@]} failing, ${#skipped[@]} skipped"
for s in "${skipped[@]}"; do echo "  skipped: $s"; done
for f in "${failed[@]}"; do echo "  FAILING: $f"; done
[ "${#failed[@]}" -eq 0 ]
