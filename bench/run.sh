#!/usr/bin/env bash
# Load-test harness: a fast mock upstream, the gateway (release build, auth + usage
# accounting + JSON logging on), and nginx as the reverse-proxy floor, all on loopback.
# Prints requests/s, p50/p99 latency and the added latency against calling the upstream
# directly, for non-streaming and streaming chat at 1 and 64 connections, and the
# gateway's resident memory after a minute of load. Needs wrk and nginx
# (apt-get install wrk nginx). Traffic goes to 127.0.0.1 only; every run is bounded.
#   bench/run.sh            full run (~5 minutes)
#   QUICK=1 bench/run.sh    short run (~1 minute) for a smoke check
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is missing: apt-get install nginx" >&2; exit 1; }

C1_SECS=${C1_SECS:-10}; C64_SECS=${C64_SECS:-15}; MEM_SECS=${MEM_SECS:-60}; TTFB_N=${TTFB_N:-2000}
if [ -n "${QUICK:-}" ]; then C1_SECS=3; C64_SECS=3; MEM_SECS=10; TTFB_N=300; fi

cargo build --release --quiet -p switchyard -p switchyard-bench
bin="${CARGO_TARGET_DIR:-$root/target}/release"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
UP=$(port); GW=$(port); NG=$(port)
KEY="sy-bench-admin-key-0123456789"

"$bin/bench-upstream" "$UP" & pids+=($!)

cat > "$work/switchyard.toml" <<TOML
[server]
listen = "127.0.0.1:$GW"
data_dir = "$work/data"

[database]
url = "sqlite://$work/bench.db"

[log]
filter = "info"
format = "json"

[[providers]]
name = "upstream"
kind = "openai_compatible"
base_url = "http://127.0.0.1:$UP/v1"
options = { max_retries = 0 }

[[models]]
name = "bench-model"
provider = "upstream"
capabilities = ["stream"]
context_window = 128000
input_cost_per_mtok = 0.15
output_cost_per_mtok = 0.6
TOML
SWITCHYARD_ADMIN_KEY="$KEY" "$bin/switchyard" serve --config "$work/switchyard.toml" > "$work/gateway.log" 2>&1 & gw_pid=$!; pids+=($gw_pid)

cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream up { server 127.0.0.1:$UP; keepalive 128; }
  server {
    listen 127.0.0.1:$NG;
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGINX
nginx -c "$work/nginx.conf" -g 'daemon off;' & pids+=($!)

for i in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$GW/ready" >/dev/null 2>&1 && curl -sf -o /dev/null -X POST "http://127.0.0.1:$NG/v1/chat/completions" -d '{}' && break
  sleep 0.2
done

printf '%s' '{"model":"bench-model","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Write one short sentence about the sea, please. Keep it simple and friendly for a child."}],"temperature":0.7,"max_tokens":256}' > "$work/chat.json"
printf '%s' '{"model":"bench-model","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Write one short sentence about the sea, please. Keep it simple and friendly."}],"max_tokens":256}' > "$work/stream.json"

# wrk <conns> <secs> <url> <body> <auth> → "rps p50_ms p99_ms"
run_wrk() {
  local out
  out=$(BODY_FILE="$4" AUTH="$5" wrk -t "$(( $1 < 2 ? 1 : 2 ))" -c "$1" -d "${2}s" --latency -s bench/post.lua "$3")
  echo "$out" | awk '
    function ms(v) { if (v ~ /us$/) { sub(/us$/,"",v); return v/1000 } if (v ~ /ms$/) { sub(/ms$/,"",v); return v+0 } if (v ~ /s$/) { sub(/s$/,"",v); return v*1000 } return v }
    /^Requests\/sec/ { rps=$2 }
    /^ +50%/ { p50=ms($2) } /^ +99%/ { p99=ms($2) }
    /Non-2xx/ { bad=$NF }
    END { printf "%.0f %.3f %.3f %s\n", rps, p50, p99, (bad==""?0:bad) }'
}

declare -A R
for mode in chat stream; do
  body="$work/$mode.json"
  for conns in 1 64; do
    secs=$C1_SECS; [ "$conns" = 64 ] && secs=$C64_SECS
    R[$mode.$conns.direct]=$(run_wrk $conns $secs "http://127.0.0.1:$UP/v1/chat/completions" "$body" "")
    R[$mode.$conns.nginx]=$(run_wrk $conns $secs "http://127.0.0.1:$NG/v1/chat/completions" "$body" "")
    R[$mode.$conns.gateway]=$(run_wrk $conns $secs "http://127.0.0.1:$GW/v1/chat/completions" "$body" "$KEY")
  done
done

ttfb_direct=$("$bin/bench-ttfb" "http://127.0.0.1:$UP/v1/chat/completions" - "$TTFB_N")
ttfb_nginx=$("$bin/bench-ttfb" "http://127.0.0.1:$NG/v1/chat/completions" - "$TTFB_N")
ttfb_gw=$("$bin/bench-ttfb" "http://127.0.0.1:$GW/v1/chat/completions" "$KEY" "$TTFB_N")

# A minute of mixed load, then the gateway's resident memory.
BODY_FILE="$work/chat.json" AUTH="$KEY" wrk -t 2 -c 64 -d "${MEM_SECS}s" -s bench/post.lua "http://127.0.0.1:$GW/v1/chat/completions" >/dev/null
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$gw_pid/status)
hwm_kb=$(awk '/VmHWM/ {print $2}' /proc/$gw_pid/status)

echo
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); $(date -u +%F)"
printf '%-8s %-5s %-8s %10s %10s %10s %10s %9s\n' mode conns target "req/s" "p50 ms" "p99 ms" "added p50" "vs nginx"
for mode in chat stream; do
  for conns in 1 64; do
    read -r d_rps d_p50 _ _ <<<"${R[$mode.$conns.direct]}"
    read -r n_rps _ _ _ <<<"${R[$mode.$conns.nginx]}"
    for target in direct nginx gateway; do
      read -r rps p50 p99 bad <<<"${R[$mode.$conns.$target]}"
      added=$(awk -v a="$p50" -v b="$d_p50" 'BEGIN{printf "%+.3f", a-b}')
      ratio=$(awk -v a="$rps" -v b="$n_rps" 'BEGIN{printf "%.2f", (b>0?a/b:0)}')
      printf '%-8s %-5s %-8s %10s %10s %10s %10s %9s%s\n' "$mode" "$conns" "$target" "$rps" "$p50" "$p99" "$added" "$ratio" "$([ "$bad" != 0 ] && echo "  non-2xx: $bad")"
    done
  done
done
echo
echo "stream first chunk (1 conn, p50 / p99 / whole stream p50, ms):"
echo "  direct  $ttfb_direct"
echo "  nginx   $ttfb_nginx"
echo "  gateway $ttfb_gw"
echo "gateway memory after ${MEM_SECS}s of c64 load: RSS $((rss_kb/1024)) MB (peak $((hwm_kb/1024)) MB)"
echo "usage records written: $(sqlite3 "$work/bench.db" 'select count(*) from usage_records' 2>/dev/null || echo '?')"
