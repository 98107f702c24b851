// Preloaded into a `kitchen` child process: on exit, writes to $KITCHENS_LOADED_FILE
// - loaded: which heavy packages were loaded at all (through any module);
// - packages: the npm packages the project's own modules required (whatever runs the TypeScript is not counted);
// - commands: which command modules of lib/cli/commands were loaded (file name without extension);
// - modules: how many modules were loaded in all.
const fs = require('fs');
const path = require('path');
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
function packageOf(file) {
  const parts = file.slice(file.lastIndexOf(NODE_MODULES) + NODE_MODULES.length).split(path.sep);
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}
process.on('exit', () => {
  const heavy = [
    'aws-cdk-lib',
    '@aws-cdk/toolkit-lib',
    '@aws-sdk/client-cloudformation',
    '@aws-sdk/client-sfn',
    'cdk-nag',
  ];
  const files = Object.keys(require.cache);
  const loaded = heavy.filter((name) => files.some((file) => file.includes(`/node_modules/${name}/`)));
  const own = files.filter((file) => !file.includes(NODE_MODULES) && file !== __filename).map((f) => require.cache[f]);
  const packages = new Set();
  for (const mod of own) {
    for (const child of mod.children) {
      if (child.filename.includes(NODE_MODULES)) packages.add(packageOf(child.filename));
    }
  }
  const commandsDir = `${path.sep}lib${path.sep}cli${path.sep}commands${path.sep}`;
  const commands = own
    .map((mod) => mod.filename)
    .filter((file) => file.includes(commandsDir))
    .map((file) => path.basename(file).replace(/\.(ts|js)$/, ''))
    .filter((name) => name !== 'index')
    .sort();
  fs.writeFileSync(
    process.env.KITCHENS_LOADED_FILE,
    JSON.stringify({ loaded, packages: [...packages].sort(), commands, modules: files.length }),
  );
});
