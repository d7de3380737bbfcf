#!/usr/bin/env python3
"""One soak client process: asks rolehop for credentials in a loop until the deadline and
checks every answer. Prints one JSON summary line on stdout.

    soak_client.py MODE HOST:PORT TOKEN_FILE SECONDS INTERVAL

MODE: `ecs` (a new connection per request, as most SDKs after an idle pool), `ecs-keepalive`
(one connection reused), `imds` (IMDSv2: a token, then the role's credentials).
Every answer must be 200 with non-empty keys and an Expiration in the future.
"""
import datetime
import http.client
import json
import sys
import time

mode, addr, token_file, seconds, interval = sys.argv[1:6]
host, port = addr.rsplit(":", 1)
seconds, interval = float(seconds), float(interval)
with open(token_file) as f:
    token = f.read()

summary = {"mode": mode, "requests": 0, "ok": 0, "errors": [], "min_left_secs": None, "keys": []}


def fail(what):
    if len(summary["errors"]) < 5:
        summary["errors"].append(what)


def check(status, body):
    summary["requests"] += 1
    if status != 200:
        fail(f"status {status}: {body[:200]!r}")
        return
    try:
        creds = json.loads(body)
        for key in ("AccessKeyId", "SecretAccessKey", "Token", "Expiration"):
            if not creds.get(key):
                raise ValueError(f"{key} is missing or empty")
        expires = datetime.datetime.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
        expires = expires.replace(tzinfo=datetime.timezone.utc)
    except ValueError as e:
        fail(f"invalid answer ({e})")
        return
    left = (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    if left <= 0:
        fail(f"expired credential served: {creds['Expiration']}")
        return
    if summary["min_left_secs"] is None or left < summary["min_left_secs"]:
        summary["min_left_secs"] = left
    if creds["AccessKeyId"] not in summary["keys"]:
        summary["keys"].append(creds["AccessKeyId"])
    summary["ok"] += 1


def exchange(conn, method, path, headers):
    conn.request(method, path, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


deadline = time.monotonic() + seconds
keepalive = http.client.HTTPConnection(host, int(port), timeout=10)
while time.monotonic() < deadline:
    try:
        if mode == "ecs-keepalive":
            check(*exchange(keepalive, "GET", "/v1/credentials", {"Authorization": token}))
        elif mode == "ecs":
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            check(*exchange(conn, "GET", "/v1/credentials", {"Authorization": token}))
            conn.close()
        elif mode == "imds":
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            status, imds_token = exchange(
                conn, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"}
            )
            if status != 200:
                check(status, imds_token)
            else:
                check(*exchange(
                    conn,
                    "GET",
                    "/latest/meta-data/iam/security-credentials/default",
                    {"X-aws-ec2-metadata-token": imds_token.decode()},
                ))
            conn.close()
        else:
            sys.exit(f"unknown mode {mode}")
    except (OSError, http.client.HTTPException) as e:
        summary["requests"] += 1
        fail(f"{type(e).__name__}: {e}")
        # rolehop closes kept-alive connections idle for 5 s; a new one is fine.
        keepalive.close()
        keepalive = http.client.HTTPConnection(host, int(port), timeout=10)
    time.sleep(interval)

summary["keys"] = len(summary["keys"])
print(json.dumps(summary))
