#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled TypeScript under dist/.
import('../dist/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  process.stderr.write(`falaj: ${err?.message ?? err}\n`);
  process.exit(1);
});
