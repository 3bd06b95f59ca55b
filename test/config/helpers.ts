// Loading cluster files for tests: the real loader, with the disk as its io.
import { readFileSync } from 'node:fs';
import { loadCluster, type LoadResult } from '../../src/config/index.js';

export const HOME = '/home/tester';

export const diskIo = { readFile: (path: string): string => readFileSync(path, 'utf8'), homeDir: HOME };

export function loadFile(path: string): LoadResult {
  return loadCluster(readFileSync(path, 'utf8'), path, diskIo);
}

/** Load text as if it were the file `path`; inventories come from `files`. */
export function loadText(text: string, files: Record<string, string> = {}, path = 'cfg/cluster.yaml'): LoadResult {
  return loadCluster(text, path, {
    readFile: (file) => {
      const found = files[file];
      if (found === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
      return found;
    },
    homeDir: HOME,
  });
}
