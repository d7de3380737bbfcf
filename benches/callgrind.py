#!/usr/bin/env python3
"""Instructions per /v1/credentials request, counted by callgrind (repeatable whatever else the
machine is doing): rolehop and bench_baseline each serve N kept-alive requests under
`valgrind --tool=callgrind`; the difference of two runs (N and 2N requests) is the cost of N
requests, start-up excluded. Run through benches/callgrind.
"""
import argparse, http.client, os, shutil, signal, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_wall  # noqa: E402


def drive(port, path, headers, n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(n):
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        r.read()
        assert r.status == 200, r.status
    conn.close()


def total_ir(outfile):
    out = subprocess.run(["callgrind_annotate", "--inclusive=no", outfile], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        if "PROGRAM TOTALS" in line:
            return int(line.split()[0].replace(",", ""))
    raise RuntimeError("no totals in callgrind output")


def run(cmd, env, port, path, headers, n, work, tag, ready_path=None):
    outfile = f"{work}/callgrind.{tag}.{n}"
    p = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={outfile}", *cmd], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path or path}", timeout=5)
            break
        except Exception:
            if time.time() > deadline:
                p.kill()
                sys.exit(f"callgrind: {tag} did not become ready")
            time.sleep(0.5)
    drive(port, path, headers, n)
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return outfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--agent", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--keep", help="copy the 2N-request callgrind files here for callgrind_annotate")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="rolehop-callgrind-")
    procs = []
    try:
        moto, agent_env = cli_wall.start_moto_and_agent(args.agent, procs)
        env = {**cli_wall.base_env(work, moto), "ROLEHOP_TOKEN": "t" * 64, **agent_env}
        results = {}
        n = args.requests
        size = None
        for tag in ("rolehop", "baseline"):
            port = cli_wall.free_port()
            if tag == "rolehop":
                cmd = [args.bin, "serve", "--role-arn", cli_wall.DEST, "--listen", f"127.0.0.1:{port}"]
                path, headers, ready = "/v1/credentials", {"Authorization": "t" * 64}, "/readyz"
            else:
                cmd = [args.baseline, f"127.0.0.1:{port}", str(size)]
                path, headers, ready = "/", {"Authorization": "t" * 64}, None
            counts = []
            for k in (n, 2 * n):
                out = run(cmd, env, port, path, headers, k, work, tag, ready)
                counts.append(total_ir(out))
                if k == 2 * n and args.keep:
                    shutil.copy(out, os.path.join(args.keep, f"callgrind.out.{tag}"))
            results[tag] = (counts[1] - counts[0]) / n
            if tag == "rolehop" and size is None:
                p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                cli_wall.wait_http(f"http://127.0.0.1:{port}/readyz")
                req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
                size = len(urllib.request.urlopen(req).read())
                p.kill()
                p.wait()
        print(f"instructions per request, kept-alive, {n} requests: rolehop {results['rolehop']:,.0f}, "
              f"minimal hyper server {results['baseline']:,.0f} (body {size} bytes), "
              f"ratio {results['rolehop'] / results['baseline']:.2f}")
    finally:
        for p in procs:
            p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
