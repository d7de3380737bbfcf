// Test-only oracle for tests/check_differential.rs: an independent IAM evaluator
// (@cloud-copilot/iam-simulate, AGPL, installed under .tools/iam-oracle by scripts/tools.sh;
// never linked into or shipped with rolehop). One process serves a whole batch:
// each stdin line is {"id": N, "simulation": {...}} (the package's Simulation shape) and gets
// one stdout line back, in order: {"id": N, "result": "Allowed" | "ImplicitlyDenied" |
// "ExplicitlyDenied"} or {"id": N, "error": "..."} when the package refused the input.
'use strict';

const readline = require('node:readline');
const { runSimulation } = require('@cloud-copilot/iam-simulate');

async function main() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let id = null;
    let answer;
    try {
      const query = JSON.parse(line);
      id = query.id;
      const response = await runSimulation(query.simulation, { simulationMode: 'Strict' });
      if (response.resultType === 'error') {
        answer = { id, error: JSON.stringify(response.errors) };
      } else {
        answer = { id, result: response.overallResult };
      }
    } catch (e) {
      answer = { id, error: String((e && e.stack) || e) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
}

main().catch((e) => {
  process.stderr.write(`oracle.js: ${(e && e.stack) || e}\n`);
  process.exit(1);
});
