import * as fs from "node:fs";
import * as path from "node:path";
import { cycles, importGraph, importsOf, sources } from "../helpers/imports";

const ROOT = path.resolve(__dirname, "../..");

/**
 * The rooms of provider/ (design/architecture.md) and their order: a file may import its own
 * room and the rooms below it, never one above or beside it. Imports run lifecycle → connection →
 * client, everything → model, and the model imports nothing of the others. The CLI is a door of
 * its own above them all; provider/index.ts (the package's entry) sits above the lifecycle.
 */
const ROOMS: [string, number][] = [
  ["provider/model", 0],
  ["provider/client", 1],
  ["provider/connection", 2],
  ["provider/lifecycle", 3],
  ["provider", 4],
  ["provider/cli", 5],
];

/** The room of a file: the longest room folder that holds it. */
function roomOf(file: string): [string, number] {
  const dir = path.dirname(file);
  return ROOMS.filter(([r]) => dir === r || dir.startsWith(`${r}/`)).sort((a, b) => b[0].length - a[0].length)[0]!;
}

describe("the house: imports run one way", () => {
  test("no circle of imports in provider/ or emulator/", () => {
    const found = cycles(importGraph(ROOT, ["provider", "emulator"]));
    expect(found.map((c) => `files that import each other in a circle: ${c.join(", ")}`)).toEqual([]);
  });

  test("finds a circle when there is one (the checker itself)", () => {
    const graph = new Map([["a.ts", ["b.ts"]], ["b.ts", ["c.ts"]], ["c.ts", ["a.ts"]], ["d.ts", ["a.ts"]], ["e.ts", ["e.ts"]]]);
    expect(cycles(graph)).toEqual([["a.ts", "b.ts", "c.ts"], ["e.ts"]]);
  });

  test("every import in provider/ goes to its own room or a room below it", () => {
    const wrong: string[] = [];
    for (const file of sources(ROOT, "provider")) {
      const [from, rank] = roomOf(file);
      for (const target of importsOf(ROOT, file)) {
        if (!target.startsWith("provider/")) {
          wrong.push(`${file} imports ${target}, outside provider/ (the provider knows nothing of sdk/, plugin/ or emulator/)`);
          continue;
        }
        const [to, toRank] = roomOf(target);
        if (to !== from && toRank >= rank) wrong.push(`${file} (${from}) imports ${target} (${to}): imports run lifecycle → connection → client, everything → model`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("only provider/index.ts sits directly in provider/; every other file lives in a room", () => {
    const loose = fs
      .readdirSync(path.join(ROOT, "provider"), { withFileTypes: true })
      .filter((e) => !e.isDirectory() && e.name !== "index.ts")
      .map((e) => `provider/${e.name}`);
    expect(loose.map((f) => `${f} sits directly in provider/: move it into a room (${ROOMS.map(([r]) => r).filter((r) => r !== "provider").join(", ")})`)).toEqual([]);
  });

  test("emulator/ shares no code with provider/ (a misreading of the contract cannot hide in both)", () => {
    const shared = sources(ROOT, "emulator").flatMap((f) => importsOf(ROOT, f).filter((t) => !t.startsWith("emulator/")).map((t) => `${f} imports ${t}`));
    expect(shared).toEqual([]);
  });
});
