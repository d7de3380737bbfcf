"""What one botocore release does with the container-credentials variables, measured.

Run inside a network namespace of its own (scripts/sdk-bisect.sh and tests/sdks.rs start it with
`unshare -n` after putting 169.254.170.2, 169.254.170.23, fd00:ec2::23 and 192.0.2.10 on its
loopback device), with the botocore under test first on sys.path. It listens on port 80 of every
address and asks botocore's own ContainerProvider for credentials in each scenario, recording
the requests that arrive. Prints one JSON object:

  token_file      "read" | "not read": FULL_URI and only AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
  newline         "trimmed" | "refused" | "sent as-is" | "not read": the same file ending in "\\n"
  hosts           the plain-http FULL_URI hosts it asked, of those tests/sdks.rs probes
  empty_relative  "relative" | "full" | "fails": RELATIVE_URI="" beside a FULL_URI

  imds-stretch SECONDS: instead, serve an IMDS credential with SECONDS left and print
  {"stretched": bool, "jitter": [lo, hi]}: whether InstanceMetadataFetcher rewrote its expiry,
  with random.randint pinned to its upper bound (the worst case) and its bounds recorded.
"""

import datetime
import json
import os
import socket
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOSTS = [
    "127.0.0.1",
    "127.0.0.2",
    "localhost",
    "::1",
    "169.254.170.2",
    "169.254.170.23",
    "fd00:ec2::23",
    "192.0.2.10",
]
LISTEN = ["127.0.0.1", "127.0.0.2", "::1", "169.254.170.2", "169.254.170.23", "fd00:ec2::23", "192.0.2.10"]
SEEN = []
EXPIRY = {"at": None}


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, body, content_type="application/json"):
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        # IMDSv2 token.
        self.send_response(200)
        ttl = self.headers.get("x-aws-ec2-metadata-token-ttl-seconds", "21600")
        self.send_header("x-aws-ec2-metadata-token-ttl-seconds", ttl)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"token")

    def do_GET(self):
        SEEN.append({"path": self.path, "authorization": self.headers.get("Authorization")})
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        expires = EXPIRY["at"] or now + datetime.timedelta(hours=1)
        if self.path.endswith("/security-credentials/"):
            return self._answer("probe-role", "text/plain")
        creds = {
            "AccessKeyId": "ASIAPROBE",
            "SecretAccessKey": "probe-secret",
            "Token": "probe-session",
            "Expiration": iso(expires),
        }
        if "/security-credentials/" in self.path:
            creds.update({"Code": "Success", "Type": "AWS-HMAC", "LastUpdated": iso(now)})
        self._answer(json.dumps(creds))


class Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def listen():
    for address in LISTEN:
        cls = Server6 if ":" in address else ThreadingHTTPServer
        server = cls((address, 80), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()


def ask(environ):
    """Requests that arrived while botocore's ContainerProvider loaded from `environ`."""
    from botocore.credentials import ContainerProvider

    SEEN.clear()
    try:
        ContainerProvider(environ=environ).load()
        error = None
    except Exception as e:  # what botocore raises differs between releases
        error = type(e).__name__
    return list(SEEN), error


def url(host, path):
    return "http://%s%s" % ("[%s]" % host if ":" in host else host, path)


def container():
    tmp = tempfile.mkdtemp()
    plain = os.path.join(tmp, "plain")
    newline = os.path.join(tmp, "newline")
    with open(plain, "w") as f:
        f.write("file-token")
    with open(newline, "w") as f:
        f.write("newline-token\n")
    full = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
    token_file = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"

    seen, _ = ask({full: url("127.0.0.1", "/token-file"), token_file: plain})
    sent = [r["authorization"] for r in seen if r["path"] == "/token-file"]
    file_read = "read" if "file-token" in sent else "not read"

    seen, _ = ask({full: url("127.0.0.1", "/newline"), token_file: newline})
    sent = [r["authorization"] for r in seen if r["path"] == "/newline"]
    if file_read == "not read":
        newline_cell = "not read"
    elif "newline-token" in sent:
        newline_cell = "trimmed"
    elif sent:
        newline_cell = "sent as-is"
    else:
        newline_cell = "refused"

    hosts = []
    for i, host in enumerate(HOSTS):
        path = "/host-%d" % i
        seen, _ = ask({full: url(host, path)})
        if any(r["path"] == path for r in seen):
            hosts.append(host)

    seen, _ = ask({"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", full: url("127.0.0.1", "/full")})
    if any(r["path"] == "/full" for r in seen):
        empty = "full"
    elif seen:
        empty = "relative"
    else:
        empty = "fails"

    return {"token_file": file_read, "newline": newline_cell, "hosts": hosts, "empty_relative": empty}


def imds_stretch(remaining):
    import random

    from botocore.credentials import create_credential_resolver
    from botocore.session import Session

    bounds = []

    def worst(lo, hi):
        bounds.append([lo, hi])
        return hi

    random.randint = worst
    # Whole seconds (as IMDS serves them), counted from the next whole second: the credential
    # has `remaining` seconds left, less the time the fetch takes.
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    EXPIRY["at"] = now + datetime.timedelta(seconds=1 + remaining)
    os.environ.update(
        {
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1/",
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        }
    )
    for name in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_PROFILE"):
        os.environ.pop(name, None)
    # The fetcher the default chain builds, with the refresh window the chain gives it.
    # A stretch can rewrite the expiry to the same whole second it had, so it is known by the
    # line botocore logs when it stretches ("Attempting credential expiration extension").
    import logging

    said = []

    class Said(logging.Handler):
        def emit(self, record):
            said.append(record.getMessage())

    logger = logging.getLogger("botocore.utils")
    logger.setLevel(logging.INFO)
    logger.addHandler(Said())
    resolver = create_credential_resolver(Session())
    fetcher = resolver.get_provider("iam-role")._role_fetcher
    creds = fetcher.retrieve_iam_role_credentials()
    stretched = any("expiration extension" in m for m in said) or creds["expiry_time"] != iso(EXPIRY["at"])
    return {"stretched": stretched, "jitter": bounds[0] if bounds else None}


def main():
    listen()
    if sys.argv[1:2] == ["imds-stretch"]:
        print(json.dumps(imds_stretch(int(sys.argv[2]))))
    else:
        print(json.dumps(container()))


if __name__ == "__main__":
    main()
