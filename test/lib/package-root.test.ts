import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { packagePath, packageRoot } from '../../lib/package-root';

describe('packageRoot', () => {
  it('should find the repository root from a nested source folder', () => {
    const root = packageRoot(path.join(__dirname, '..', '..', 'constructs', 'kitchen'));
    expect(fs.existsSync(path.join(root, 'lambda', 'kitchen-resources', 'index.js'))).toBe(true);
    expect(packagePath('lambda/kitchen-resources')).toBe(path.join(root, 'lambda', 'kitchen-resources'));
  });

  it('should skip package.json files of other packages on the way up', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pkgroot-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'cdk-kitchens' }));
    const nested = path.join(dir, 'dist', 'constructs', 'kitchen');
    fs.mkdirSync(nested, { recursive: true });
    fs.writeFileSync(path.join(dir, 'dist', 'package.json'), JSON.stringify({ name: 'something-else' }));
    expect(packageRoot(nested)).toBe(dir);
  });

  it('fails when no cdk-kitchens package.json is above the folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pkgroot-none-'));
    expect(() => packageRoot(dir)).toThrow(`cannot find the cdk-kitchens package root above ${dir}`);
  });
});
