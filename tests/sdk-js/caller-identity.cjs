// Prints the ARN of sts get-caller-identity through one JavaScript SDK v3 release's default
// credentials chain. Usage: node caller-identity.cjs MODULE_DIR STS_ENDPOINT [CALLS SECONDS_APART]
const [, , mod, endpoint, calls = "1", apart = "0"] = process.argv;
const { STSClient, GetCallerIdentityCommand } = require(mod);
const client = new STSClient({ endpoint });
(async () => {
  for (let i = 0; i < Number(calls); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, Number(apart) * 1000));
    const r = await client.send(new GetCallerIdentityCommand({}));
    console.log(r.Arn);
  }
})().catch((e) => {
  console.error(`${e.name}: ${e.message}`);
  process.exit(1);
});
