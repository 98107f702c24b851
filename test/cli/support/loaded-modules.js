// Preloaded into a `kitchen` child process: on exit, writes which heavy packages were loaded to $KITCHENS_LOADED_FILE.
const fs = require('fs');
process.on('exit', () => {
  const heavy = [
    'aws-cdk-lib',
    '@aws-cdk/toolkit-lib',
    '@aws-sdk/client-cloudformation',
    '@aws-sdk/client-sfn',
    'cdk-nag',
  ];
  const loaded = heavy.filter((name) =>
    Object.keys(require.cache).some((file) => file.includes(`/node_modules/${name}/`)),
  );
  fs.writeFileSync(
    process.env.KITCHENS_LOADED_FILE,
    JSON.stringify({ loaded, modules: Object.keys(require.cache).length }),
  );
});
