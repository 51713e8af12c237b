import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

/** Every .ts file under `dir` (relative to `root`), tests and declarations left out. */
export function sources(root: string, dir: string): string[] {
  const walk = (d: string): string[] =>
    fs.readdirSync(path.join(root, d), { withFileTypes: true }).flatMap((e) => {
      const p = path.join(d, e.name);
      if (e.isDirectory()) return e.name === "node_modules" ? [] : walk(p);
      return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
    });
  return walk(dir);
}

/**
 * The files a source file imports, relative to `root`: static imports (type-only ones too, a
 * cycle of types is still two files that cannot be read apart), `export … from`, `require` and
 * `import()`. Packages are left out.
 */
export function importsOf(root: string, file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(path.join(root, file), "utf8"), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((f) => f.startsWith("."))
    .map((f) => {
      const base = path.join(path.dirname(file), f);
      for (const candidate of [`${base}.ts`, path.join(base, "index.ts"), base]) {
        if (fs.existsSync(path.join(root, candidate)) && fs.statSync(path.join(root, candidate)).isFile()) return candidate;
      }
      return `${base}.ts`;
    });
}

/** The import graph of the files under `dirs`. */
export function importGraph(root: string, dirs: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of dirs.flatMap((d) => sources(root, d))) graph.set(file, importsOf(root, file));
  return graph;
}

/** Every circle of imports (Tarjan's strongly connected components of more than one file, or a file importing itself). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}
