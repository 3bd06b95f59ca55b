// POSIX path handling for config files, as plain strings: the core may not import node:path.

/** Collapse `.`, `..` and repeated slashes; keeps a leading `/`; `''` becomes `.`. */
export function normalizePosixPath(path: string): string {
  const absolute = path.startsWith('/');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else if (!absolute) parts.push('..');
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join('/');
  if (absolute) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** The directory part of a path (`a/b.yaml` → `a`, `b.yaml` → `.`). */
export function dirnamePosix(path: string): string {
  const slash = path.lastIndexOf('/');
  if (slash < 0) return '.';
  if (slash === 0) return '/';
  return path.slice(0, slash);
}

export function joinPosix(base: string, path: string): string {
  return normalizePosixPath(path.startsWith('/') ? path : `${base}/${path}`);
}

/**
 * Resolve a path written in a config file: `~` and `~/…` expand to homeDir, relative paths are
 * taken against baseDir (the directory of the file that names them), and against cwd when given,
 * so that the result is absolute whenever cwd is known.
 */
export function resolveConfigPath(path: string, baseDir: string, homeDir: string, cwd?: string): string {
  if (path === '~') return normalizePosixPath(homeDir);
  if (path.startsWith('~/')) return joinPosix(homeDir, path.slice(2));
  const fromBase = joinPosix(baseDir, path);
  return cwd === undefined ? fromBase : joinPosix(cwd, fromBase);
}
