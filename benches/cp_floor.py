#!/usr/bin/env python3
"""Wall time of `rolehop credential-process` (the fast path: one GET to a running rolehop)
against `rolehop --version` (clap, then exit: the floor of any rolehop process), with the
spawn cost of a no-op program (`true`) taken off both.

Every round runs each command once, in a shuffled order, so a drift of the machine's speed
touches all of them alike; the figures are medians over the rounds. Each process is started
with posix_spawn, its output to /dev/null, and timed from just before the spawn to its reaping.

Run through benches/cp-floor, which builds the release binaries and installs the tools.
"""
import argparse, json, os, random, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
from cli_wall import DEST, base_env, free_port, start_moto_and_agent, wait_http  # noqa: E402


def spawn_ns(argv, env, devnull):
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    start = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter_ns() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"cp_floor: {argv} exited {os.waitstatus_to_exitcode(status)}")
    return elapsed / 1e6


def summary(samples):
    s = sorted(samples)
    return {"median_ms": round(statistics.median(s), 3), "p10_ms": round(s[len(s) // 10], 3),
            "p90_ms": round(s[(9 * len(s)) // 10], 3)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--agent", required=True)
    ap.add_argument("--before", help="an older rolehop binary to time beside --bin")
    ap.add_argument("--rounds", type=int, default=400)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    noop = shutil.which("true")
    work = tempfile.mkdtemp(prefix="rolehop-cp-floor-")
    procs = []
    try:
        sts, agent_env = start_moto_and_agent(args.agent, procs)
        env = {**base_env(work, sts), **agent_env}
        port = free_port()
        token = f"{work}/token"
        procs.append(subprocess.Popen(
            [args.bin, "serve", "--role-arn", DEST, "--listen", f"127.0.0.1:{port}",
             "--token-file", token],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        endpoint = f"http://127.0.0.1:{port}"
        wait_http(f"{endpoint}/readyz")
        client = ["credential-process", "--endpoint", endpoint, "--token-file", token]
        commands = {"noop (true)": [noop]}
        builds = {"after": args.bin}
        if args.before:
            builds = {"before": args.before, **builds}
        for name, binary in builds.items():
            out = subprocess.run([binary] + client, env=env, capture_output=True, text=True)
            assert out.returncode == 0 and json.loads(out.stdout)["Version"] == 1, out.stderr
            commands[f"{name}: rolehop --version"] = [binary, "--version"]
            commands[f"{name}: rolehop credential-process"] = [binary] + client
        samples = {name: [] for name in commands}
        order = list(commands)
        rng = random.Random(7)
        with open(os.devnull, "wb") as null:
            fd = null.fileno()
            for i in range(args.warmup + args.rounds):
                rng.shuffle(order)
                for name in order:
                    ms = spawn_ns(commands[name], env, fd)
                    if i >= args.warmup:
                        samples[name].append(ms)
        results = {name: summary(s) for name, s in samples.items()}
        floor = results["noop (true)"]["median_ms"]
        for name in builds:
            version = results[f"{name}: rolehop --version"]["median_ms"] - floor
            process = results[f"{name}: rolehop credential-process"]["median_ms"] - floor
            results[f"{name}: ratio"] = {
                "version_minus_noop_ms": round(version, 3),
                "credential_process_minus_noop_ms": round(process, 3),
                "credential_process_over_version": round(process / version, 2),
            }
        results["rounds"] = args.rounds
        print(json.dumps(results, indent=2))
    finally:
        for p in procs:
            p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
