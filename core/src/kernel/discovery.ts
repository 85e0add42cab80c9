/**
 * Finds plugin packages: those installed beside the kernel (any package in a node_modules
 * directory on the way up from the kernel or from the working directory whose package.json has an
 * `nxsw` key) and those named explicitly (a path, or a package name resolved from the working
 * directory).
 */
import { readdirSync, readFileSync, realpathSync, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve, isAbsolute } from 'node:path';

export interface Candidate {
  /** real path of the package directory */
  readonly dir: string;
  readonly origin: 'installed' | 'explicit';
  /** how the user named it (explicit ones) */
  readonly spec?: string;
}

function nodeModulesChain(start: string): string[] {
  const out: string[] = [];
  for (let d = resolve(start); ; d = dirname(d)) {
    const nm = join(d, 'node_modules');
    if (existsSync(nm)) out.push(nm);
    if (dirname(d) === d) return out;
  }
}

function hasManifestKey(pkgDir: string): boolean {
  try {
    const json = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    return json.nxsw !== undefined;
  } catch {
    return false;
  }
}

function packagesIn(nodeModules: string): string[] {
  const dirs: string[] = [];
  for (const name of readdirSync(nodeModules)) {
    if (name.startsWith('.')) continue;
    const p = join(nodeModules, name);
    if (name.startsWith('@')) {
      for (const sub of safeReaddir(p)) dirs.push(join(p, sub));
    } else dirs.push(p);
  }
  return dirs;
}

function safeReaddir(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

export function discoverInstalled(startDirs: string[]): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const start of startDirs) {
    for (const nm of nodeModulesChain(start)) {
      for (const dir of packagesIn(nm).sort()) {
        if (!hasManifestKey(dir)) continue;
        const real = realpathSync(dir);
        if (seen.has(real)) continue;
        seen.add(real);
        out.push({ dir: real, origin: 'installed' });
      }
    }
  }
  return out;
}

/** Resolves an explicit plugin spec (a directory path or a package name) to a package directory. */
export function resolveExplicit(spec: string, cwd: string): Candidate {
  const looksLikePath = spec.startsWith('.') || isAbsolute(spec) || spec.includes('\\');
  if (looksLikePath || (existsSync(resolve(cwd, spec)) && statSync(resolve(cwd, spec)).isDirectory() && !spec.startsWith('@'))) {
    const dir = resolve(cwd, spec);
    if (!existsSync(join(dir, 'package.json'))) throw new Error(`plugin '${spec}': no package.json in ${dir}`);
    return { dir: realpathSync(dir), origin: 'explicit', spec };
  }
  for (const nm of nodeModulesChain(cwd)) {
    const dir = join(nm, spec);
    if (existsSync(join(dir, 'package.json'))) return { dir: realpathSync(dir), origin: 'explicit', spec };
  }
  throw new Error(`plugin '${spec}': no such directory, and no package of that name is installed (looked in node_modules from ${cwd} upwards)`);
}
