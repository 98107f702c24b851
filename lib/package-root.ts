/**
 * The installed package's root folder, found from a module's own location. Sources run from `constructs/...` (tests,
 * ts-node) and compiled code from `dist/constructs/...`; both find the same root, so files shipped beside the code
 * (the Kitchen resources Lambda under `lambda/`) resolve the same way in the repository and in `node_modules`.
 */
import * as fs from 'fs';
import * as path from 'path';

const PACKAGE_NAME = 'cdk-kitchens';

export function packageRoot(from: string = __dirname): string {
  let dir = path.resolve(from);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const name = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name;
      if (name === PACKAGE_NAME) return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${from}`);
    dir = parent;
  }
}

/** A file or folder shipped with the package, by its path from the package root (`lambda/kitchen-resources`). */
export function packagePath(relative: string): string {
  return path.join(packageRoot(), relative);
}

/** The version of the installed package (its package.json). */
export function packageVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
    version?: string;
  };
  if (typeof manifest.version !== 'string') throw new Error(`the ${PACKAGE_NAME} package.json has no version`);
  return manifest.version;
}
