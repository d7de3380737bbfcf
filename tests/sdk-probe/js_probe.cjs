// What one release of the JavaScript SDK v3's default credential chain
// (@aws-sdk/credential-provider-node, installed under the directory given as the argument) does
// with the container-credentials variables, measured: the counterpart of botocore_probe.py, run
// the same way (a network namespace of its own with 169.254.170.2, 169.254.170.23,
// fd00:ec2::23 and 192.0.2.10 on its loopback device). Prints one JSON object:
//
//   token_file      "read" | "not read": FULL_URI and only AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
//   newline         "trimmed" | "falls back" (asks without a token) | "refused" | "not read"
//   hosts           the plain-http FULL_URI hosts it asked, of those tests/sdks.rs probes
//   empty_relative  "relative" | "full" | "fails": RELATIVE_URI="" beside a FULL_URI
"use strict";
const fs = require("fs");
const http = require("http");
const os = require("os");
const path = require("path");

const HOSTS = ["127.0.0.1", "127.0.0.2", "localhost", "::1", "169.254.170.2", "169.254.170.23", "fd00:ec2::23", "192.0.2.10"];
const LISTEN = ["127.0.0.1", "127.0.0.2", "::1", "169.254.170.2", "169.254.170.23", "fd00:ec2::23", "192.0.2.10"];
const seen = [];

function listen() {
  return Promise.all(
    LISTEN.map(
      (address) =>
        new Promise((resolve, reject) => {
          const server = http.createServer((req, res) => {
            seen.push({ path: req.url, authorization: req.headers.authorization });
            const expiration = new Date(Date.now() + 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z");
            res.setHeader("Content-Type", "application/json");
            res.end(JSON.stringify({ AccessKeyId: "ASIAPROBE", SecretAccessKey: "probe-secret", Token: "probe-session", Expiration: expiration }));
          });
          server.on("error", reject);
          server.listen(80, address, () => {
            server.unref();
            resolve();
          });
        }),
    ),
  );
}

const root = path.resolve(process.argv[2]);
const { defaultProvider } = require(require.resolve("@aws-sdk/credential-provider-node", { paths: [root] }));
const CONTAINER = ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"];

async function ask(environ) {
  for (const name of CONTAINER) delete process.env[name];
  Object.assign(process.env, environ);
  seen.length = 0;
  try {
    await defaultProvider()();
  } catch (e) {
    // what fails differs between releases; the requests say what it did
  }
  return seen.slice();
}

const url = (host, p) => `http://${host.includes(":") ? `[${host}]` : host}${p}`;

async function main() {
  await listen();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "js-probe-"));
  Object.assign(process.env, {
    HOME: tmp,
    AWS_CONFIG_FILE: path.join(tmp, "none"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, "none"),
    AWS_EC2_METADATA_DISABLED: "true",
  });
  for (const name of ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]) delete process.env[name];
  const plain = path.join(tmp, "plain");
  const newline = path.join(tmp, "newline");
  fs.writeFileSync(plain, "file-token");
  fs.writeFileSync(newline, "newline-token\n");
  const FULL = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
  const FILE = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";

  let got = await ask({ [FULL]: url("127.0.0.1", "/token-file"), [FILE]: plain });
  const tokenFile = got.some((r) => r.path === "/token-file" && r.authorization === "file-token") ? "read" : "not read";

  got = (await ask({ [FULL]: url("127.0.0.1", "/newline"), [FILE]: newline })).filter((r) => r.path === "/newline");
  let newlineCell;
  if (tokenFile === "not read") newlineCell = "not read";
  else if (got.some((r) => r.authorization === "newline-token")) newlineCell = "trimmed";
  else if (got.some((r) => r.authorization === undefined)) newlineCell = "falls back";
  else if (got.length) newlineCell = "sent as-is";
  else newlineCell = "refused";

  const hosts = [];
  for (const [i, host] of HOSTS.entries()) {
    const p = `/host-${i}`;
    if ((await ask({ [FULL]: url(host, p) })).some((r) => r.path === p)) hosts.push(host);
  }

  got = await ask({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "", [FULL]: url("127.0.0.1", "/full") });
  const empty = got.some((r) => r.path === "/full") ? "full" : got.length ? "relative" : "fails";

  console.log(JSON.stringify({ token_file: tokenFile, newline: newlineCell, hosts, empty_relative: empty }));
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
