#!/usr/bin/env python3
"""Wall time of `aws sts get-caller-identity` through each way of getting cross-account
credentials, measured in one run on this machine (moto standing in for STS):

  - a `credential_process = rolehop credential-process ...` profile against a running rolehop;
  - the CLI's own `role_arn` + `credential_source = EcsContainer` profile, with its assumed-role
    cache (~/.aws/cli/cache) cleared before every call (cold) and kept (warm);
  - `rolehop credential-process` alone, as a whole process.

Run through benches/cli-wall, which builds the release binaries and installs the tools.
"""
import argparse, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time, urllib.request

DEST = "arn:aws:iam::555566667777:role/destination-account-role"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, limit=30):
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.05)
    sys.exit(f"cli_wall: {url} did not answer")


def start_moto_and_agent(agent_bin, procs):
    """moto on a free port, and the stand-in ECS agent holding account A's task-role
    credentials from it; both appended to `procs`. Returns (moto's URL, the agent's variables)."""
    port = free_port()
    procs.append(subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    moto = f"http://127.0.0.1:{port}"
    wait_http(f"{moto}/moto-api/")
    agent = subprocess.Popen([agent_bin, "--sts-endpoint", moto], stdout=subprocess.PIPE, text=True)
    procs.append(agent)
    agent_env = {}
    while len(agent_env) < 3:
        name, value = agent.stdout.readline().strip().removeprefix("export ").split("=", 1)
        agent_env[name] = value
    return moto, agent_env


def base_env(work, sts):
    """A clean client environment: no shared files, no IMDS, STS at `sts`."""
    return {
        "PATH": os.environ["PATH"], "HOME": work, "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": f"{work}/none", "AWS_CONFIG_FILE": f"{work}/none",
        "AWS_ENDPOINT_URL": sts,
    }


def timed(cmd, env, runs, before=None):
    samples = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True)
        samples.append((time.perf_counter() - start) * 1000)
        if out.returncode != 0:
            sys.exit(f"cli_wall: {cmd} failed: {out.stderr}")
    samples.sort()
    return {
        "median_ms": statistics.median(samples),
        "p90_ms": samples[int(0.9 * (len(samples) - 1))],
        "min_ms": samples[0],
        "runs": runs,
        "last_output": out.stdout.strip(),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--agent", required=True)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="rolehop-bench-")
    procs = []
    try:
        sts, agent_env = start_moto_and_agent(args.agent, procs)
        base = base_env(work, sts)
        port = free_port()
        token = f"{work}/token"
        procs.append(subprocess.Popen(
            [args.bin, "serve", "--role-arn", DEST, "--listen", f"127.0.0.1:{port}", "--token-file", token],
            env={**base, **agent_env},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        endpoint = f"http://127.0.0.1:{port}"
        wait_http(f"{endpoint}/readyz")
        config = f"{work}/config"
        with open(config, "w") as f:
            f.write(f"[profile via-rolehop]\ncredential_process = {args.bin} credential-process "
                    f"--endpoint {endpoint} --token-file {token}\n\n"
                    f"[profile via-ecs]\nrole_arn = {DEST}\ncredential_source = EcsContainer\n")
        env = {**base, **agent_env, "AWS_CONFIG_FILE": config}
        cli_cache = f"{work}/.aws/cli/cache"
        clear = lambda: shutil.rmtree(cli_cache, ignore_errors=True)
        aws = ["aws", "sts", "get-caller-identity", "--output", "json", "--profile"]
        results = {
            "aws via rolehop credential_process": timed(aws + ["via-rolehop"], env, args.runs),
            "aws via credential_source = EcsContainer, cold cache": timed(aws + ["via-ecs"], env, args.runs, clear),
            "aws via credential_source = EcsContainer, warm cache": timed(aws + ["via-ecs"], env, args.runs),
            "rolehop credential-process alone": timed(
                [args.bin, "credential-process", "--endpoint", endpoint, "--token-file", token], env, args.runs * 4),
        }
        for name, r in results.items():
            if name.startswith("aws"):
                assert json.loads(r["last_output"])["Account"] == "555566667777", (name, r["last_output"])
            r.pop("last_output")
        print(json.dumps(results, indent=2))
    finally:
        for p in procs:
            p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
