#!/usr/bin/env node
/**
 * import-cycles.mjs: the import graph of `packages/<pkg>/src` (relative imports, `import type`
 * and `export ... from` included) and its cycles (strongly connected components of more than one
 * file, or a file importing itself). Written by hand, not madge or dependency-cruiser: the graph
 * is one regex over files we format ourselves, and those tools pull in a parser per language for
 * a check that needs none.
 *
 * Usage: node scripts/import-cycles.mjs [root]   (exit 1 and the cycles printed when any)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function sources(dir, out = []) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Edges of every `packages/*\/src` file: file -> files it imports (relative imports only). */
export function importGraph(root) {
  const graph = new Map();
  const packages = join(root, 'packages');
  for (const pkg of readdirSync(packages)) {
    const src = join(packages, pkg, 'src');
    try { statSync(src); } catch { continue; }
    for (const file of sources(src)) {
      const text = readFileSync(file, 'utf8');
      const deps = new Set();
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2];
        deps.add(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
      graph.set(file, [...deps]);
    }
  }
  return graph;
}

/** Tarjan's strongly connected components with more than one file (or a self-import). */
export function cycles(graph) {
  let index = 0;
  const indices = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indices.get(w)));
    }
    if (low.get(v) === indices.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const found = cycles(importGraph(root));
  for (const scc of found) console.log(`cycle: ${scc.map((f) => relative(root, f)).join(' <-> ')}`);
  process.exit(found.length === 0 ? 0 : 1);
}
