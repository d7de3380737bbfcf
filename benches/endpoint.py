#!/usr/bin/env python3
"""rolehop's one-run benchmark: everything docs/BENCHMARKS.md reports, measured together on
this machine, with moto standing in for STS. Run it through benches/endpoint, which installs
wrk and hyperfine and builds the release binaries.

1. /v1/credentials under wrk at 64 connections, kept alive and with `Connection: close`,
   against rolehop and against bench_baseline (a minimal hyper server returning a fixed body of
   the same size on the same runtime): req/s, p50/p99/p99.9, peak RSS (VmHWM).
2. `rolehop credential-process` (fast path) as a whole process, under hyperfine.
3. `aws sts get-caller-identity` through rolehop's credential_process against the CLI's own
   `credential_source = EcsContainer` profile, cold cache and warm (benches/cli_wall.py).
4. STS AssumeRole calls for 1,000 client processes (the Rust SDK) over a simulated hour: one
   rolehop serving them all, against each process assuming the role itself. The hour is
   compressed 60x: the counting proxy in front of moto shortens rolehop's one-hour sessions to
   60 s and rolehop runs with ROLEHOP_TEST_TIME_SCALE=60, so its refresh cycle is the real one,
   sixty times faster.

It prints one JSON document and a Markdown table.
"""
import argparse, concurrent.futures, datetime, http.client, http.server, json, os, re, shutil
import statistics, subprocess, sys, tempfile, threading, time, urllib.parse, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_wall  # noqa: E402  (same directory)

DEST = cli_wall.DEST
SIM_SESSION = "rolehop-simulated-hour"
WRK_LUA = r"""
done = function(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %d, \"errors\": %d, \"non2xx\": %d, \"p50_us\": %d, \"p99_us\": %d, \"p999_us\": %d, \"duration_us\": %d}\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(99), latency:percentile(99.9), summary.duration))
end
"""


class CountingProxy:
    """Forwards STS calls to moto, counting AssumeRole per RoleSessionName; shortens the
    Expiration of SIM_SESSION's answers to 60 s (one simulated hour)."""

    def __init__(self, upstream):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.counts = {}
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                form = urllib.parse.parse_qs(body.decode())
                session = form.get("RoleSessionName", [None])[0]
                if form.get("Action") == ["AssumeRole"]:
                    with proxy.lock:
                        proxy.counts[session] = proxy.counts.get(session, 0) + 1
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request("POST", self.path, body, headers)
                resp = conn.getresponse()
                data = resp.read()
                if session == SIM_SESSION and resp.status == 200:
                    soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=60))
                    data = re.sub(rb"<Expiration>[^<]*</Expiration>",
                                  b"<Expiration>" + soon.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + b"</Expiration>", data)
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def count(self, session=None):
        with self.lock:
            if session is None:
                return dict(self.counts)
            return self.counts.get(session, 0)


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def wrk(url, token, close, seconds, connections):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_LUA)
        script = f.name
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script]
    if token:
        cmd += ["-H", f"Authorization: {token}"]
    if close:
        cmd += ["-H", "Connection: close"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    os.unlink(script)
    line = next(l for l in out.splitlines() if l.startswith("JSON "))
    r = json.loads(line[5:])
    if r["non2xx"]:
        sys.exit(f"endpoint: {url} answered {r['non2xx']} non-2xx responses under load")
    return {
        "req_per_s": r["requests"] / (r["duration_us"] / 1e6),
        "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000, "p999_ms": r["p999_us"] / 1000,
        "socket_errors": r["errors"],
    }


def load_pair(rolehop, baseline, token, close, seconds, rounds):
    """Alternates rolehop and the baseline `rounds` times; keeps each side's median round."""
    runs = {"rolehop": [], "baseline": []}
    for _ in range(rounds):
        runs["rolehop"].append(wrk(rolehop, token, close, seconds, 64))
        # The same request bytes to both: the baseline ignores the Authorization header.
        runs["baseline"].append(wrk(baseline, token, close, seconds, 64))
    pick = lambda rs: sorted(rs, key=lambda r: r["req_per_s"])[len(rs) // 2]
    out = {k: pick(v) for k, v in runs.items()}
    out["ratio"] = out["rolehop"]["req_per_s"] / out["baseline"]["req_per_s"]
    return out


def hyperfine(cmd, env, runs):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        path = f.name
    subprocess.run(["hyperfine", "-N", "--warmup", "20", "--runs", str(runs), "--export-json", path, "--", cmd],
                   env=env, check=True, capture_output=True)
    with open(path) as f:
        r = json.load(f)["results"][0]
    os.unlink(path)
    times = sorted(r["times"])
    return {"median_ms": r["median"] * 1000, "p90_ms": times[int(0.9 * (len(times) - 1))] * 1000,
            "min_ms": r["min"] * 1000, "runs": runs}


def spread_processes(cmd, env, count, seconds, workers=6):
    """Starts `count` processes evenly over `seconds`; every one must print the destination
    account. Returns the wall time taken."""
    start = time.monotonic()

    def one(i):
        delay = start + i * seconds / count - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        if out.returncode != 0 or json.loads(out.stdout)["Account"] != "555566667777":
            raise RuntimeError(f"client {i} failed: {out.stderr.strip()[-400:]}")

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(count)))
    return time.monotonic() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--agent", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--caller", required=True)
    ap.add_argument("--seconds", type=int, default=10, help="each wrk run")
    ap.add_argument("--rounds", type=int, default=3, help="wrk runs per side and mode")
    ap.add_argument("--processes", type=int, default=1000)
    ap.add_argument("--cli-runs", type=int, default=15)
    ap.add_argument("--only-load", action="store_true", help="the wrk loads alone (to compare two builds)")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="rolehop-bench-")
    procs = []
    try:
        moto, agent_env = cli_wall.start_moto_and_agent(args.agent, procs)
        proxy = CountingProxy(moto)
        base = cli_wall.base_env(work, proxy.url)

        def serve(name, extra_args=(), extra_env=None):
            port = cli_wall.free_port()
            token = f"{work}/{name}-token"
            p = subprocess.Popen(
                [args.bin, "serve", "--role-arn", DEST, "--listen", f"127.0.0.1:{port}", "--token-file", token,
                 *extra_args],
                env={**base, **agent_env, "RUST_LOG": "warn", **(extra_env or {})},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(p)
            endpoint = f"http://127.0.0.1:{port}"
            cli_wall.wait_http(f"{endpoint}/readyz")
            return p, endpoint, token

        rolehop, endpoint, token_file = serve("main")
        token = open(token_file).read().strip()
        req = urllib.request.Request(f"{endpoint}/v1/credentials", headers={"Authorization": token})
        body_size = len(urllib.request.urlopen(req).read())
        baseline_port = cli_wall.free_port()
        baseline = subprocess.Popen([args.baseline, f"127.0.0.1:{baseline_port}", str(body_size)],
                                    stdout=subprocess.PIPE, text=True)
        procs.append(baseline)
        baseline.stdout.readline()
        results = {"body_bytes": body_size}

        print("endpoint: wrk, keep-alive", file=sys.stderr)
        results["keepalive_64"] = load_pair(f"{endpoint}/v1/credentials", f"http://127.0.0.1:{baseline_port}/",
                                            token, False, args.seconds, args.rounds)
        print("endpoint: wrk, Connection: close", file=sys.stderr)
        results["close_64"] = load_pair(f"{endpoint}/v1/credentials", f"http://127.0.0.1:{baseline_port}/",
                                        token, True, args.seconds, args.rounds)
        results["peak_rss_kib"] = {"rolehop": vm_hwm_kib(rolehop.pid), "baseline": vm_hwm_kib(baseline.pid)}
        if args.only_load:
            print(json.dumps(results, indent=2))
            return

        print("endpoint: credential-process under hyperfine", file=sys.stderr)
        env = {**base, **agent_env}
        results["credential_process_alone"] = hyperfine(
            f"{args.bin} credential-process --endpoint {endpoint} --token-file {token_file}", env, 200)

        print("endpoint: aws CLI paths", file=sys.stderr)
        config = f"{work}/config"
        with open(config, "w") as f:
            f.write(f"[profile via-rolehop]\ncredential_process = {args.bin} credential-process "
                    f"--endpoint {endpoint} --token-file {token_file}\n\n"
                    f"[profile via-ecs]\nrole_arn = {DEST}\ncredential_source = EcsContainer\n")
        cli_env = {**env, "AWS_CONFIG_FILE": config}
        clear = lambda: shutil.rmtree(f"{work}/.aws/cli/cache", ignore_errors=True)
        aws = ["aws", "sts", "get-caller-identity", "--output", "json", "--profile"]
        cli = {
            "via rolehop credential_process": cli_wall.timed(aws + ["via-rolehop"], cli_env, args.cli_runs),
            "via credential_source = EcsContainer, cold cache":
                cli_wall.timed(aws + ["via-ecs"], cli_env, args.cli_runs, clear),
            "via credential_source = EcsContainer, warm cache":
                cli_wall.timed(aws + ["via-ecs"], cli_env, args.cli_runs),
        }
        for r in cli.values():
            assert json.loads(r.pop("last_output"))["Account"] == "555566667777"
        results["aws_cli"] = cli

        print(f"endpoint: {args.processes} SDK processes over a simulated hour, twice", file=sys.stderr)
        sim, sim_endpoint, sim_token = serve("sim", ["--session-name", SIM_SESSION],
                                             {"ROLEHOP_TEST_TIME_SCALE": "60"})
        via_rolehop_env = {**base, "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{sim_endpoint}/v1/credentials",
                           "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": sim_token}
        wall = spread_processes([args.caller], via_rolehop_env, args.processes, 60)
        sim.terminate()
        sim.wait()
        rolehop_calls = proxy.count(SIM_SESSION)  # from its first assume, at start-up, to its end
        with open(config, "w") as f:
            f.write(f"[default]\nrole_arn = {DEST}\ncredential_source = EcsContainer\n")
        own_env = {**env, "AWS_CONFIG_FILE": config}
        before = sum(v for k, v in proxy.count().items() if k != SIM_SESSION)
        own_wall = spread_processes([args.caller], own_env, args.processes, 60)
        own_calls = sum(v for k, v in proxy.count().items() if k != SIM_SESSION) - before
        results["sts_calls_simulated_hour"] = {
            "processes": args.processes,
            "rolehop": rolehop_calls, "rolehop_wall_s": wall,
            "each_process_assumes": own_calls, "each_process_wall_s": own_wall,
        }
        print(json.dumps(results, indent=2))
        print(table(results))
    finally:
        for p in procs:
            p.kill()
        shutil.rmtree(work, ignore_errors=True)


def table(r):
    rows = ["| measure | rolehop | minimal hyper server | rolehop / hyper |", "|---|---|---|---|"]
    for key, name in (("keepalive_64", "64 connections, keep-alive"), ("close_64", "64 connections, `Connection: close`")):
        a, b = r[key]["rolehop"], r[key]["baseline"]
        rows.append(f"| {name}: req/s | {a['req_per_s']:,.0f} | {b['req_per_s']:,.0f} | {r[key]['ratio']:.2f} |")
        rows.append(f"| {name}: p50 / p99 / p99.9 ms | {a['p50_ms']:.2f} / {a['p99_ms']:.2f} / {a['p999_ms']:.2f}"
                    f" | {b['p50_ms']:.2f} / {b['p99_ms']:.2f} / {b['p999_ms']:.2f} | |")
    rss = r["peak_rss_kib"]
    rows.append(f"| peak RSS after both loads | {rss['rolehop'] / 1024:.1f} MiB | {rss['baseline'] / 1024:.1f} MiB | |")
    cp = r["credential_process_alone"]
    rows.append(f"| `rolehop credential-process` alone, median / p90 | {cp['median_ms']:.2f} / {cp['p90_ms']:.2f} ms | | |")
    for name, c in r["aws_cli"].items():
        rows.append(f"| `aws sts get-caller-identity` {name}, median / p90 | {c['median_ms']:.0f} / {c['p90_ms']:.0f} ms | | |")
    if "sts_calls_simulated_hour" not in r:
        return "\n".join(rows)
    s = r["sts_calls_simulated_hour"]
    rows.append(f"| AssumeRole calls, {s['processes']:,} SDK processes over a simulated hour | {s['rolehop']} (one rolehop)"
                f" | {s['each_process_assumes']:,} (each process on its own) | |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
