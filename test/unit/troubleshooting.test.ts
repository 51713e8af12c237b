import * as fs from "node:fs";
import * as path from "node:path";
import { collectMessages, fragmentOf, uniqueFragment } from "../helpers/messages";

const ROOT = path.resolve(__dirname, "../..");
/** Backticks and line breaks differ between code and Markdown; the words do not. */
const plain = (s: string) => s.replace(/`/g, "").replace(/\\\|/g, "|").replace(/\s+/g, " ").toLowerCase();

/**
 * Issue 21 item 4: every refusal, error and warning the provider can raise has an entry in
 * docs/troubleshooting.md. The messages are collected from the code (test/helpers/messages.ts),
 * so a new one fails this test until the page says what it means and what to do.
 */
describe("docs/troubleshooting.md", () => {
  const page = plain(fs.readFileSync(path.join(ROOT, "docs/troubleshooting.md"), "utf8"));
  // Every example's TypeScript, the token consumer's included; the Python consumer says the same
  // things (its entries are the TypeScript one's), and is not read here.
  const examples = fs.readdirSync(path.join(ROOT, "examples"), { withFileTypes: true }).filter((e) => e.isDirectory());
  const messages = collectMessages(ROOT, ["provider", "plugin", "sdk", "policy/src", ...examples.map((e) => `examples/${e.name}`)]);

  test("the collector finds the messages it is meant to find", () => {
    // A floor, so that a change to the collector cannot quietly make it find nothing.
    expect(messages.length).toBeGreaterThan(120);
    const fragments = messages.map((m) => m.fragment);
    expect(fragments).toContain("scope \"Custom\" needs apiEndpoints");
    expect(fragments.some((f) => f.startsWith("the server's certificate is not trusted"))).toBe(true);
    expect(fragments.some((f) => f.includes("names no owner") || f.startsWith("To move it on purpose"))).toBe(true);
    // Beyond provider/: the fleet runner and the policy pack.
    expect(messages.some((m) => m.file === "examples/fleet/runner/layout.ts")).toBe(true);
    expect(messages.some((m) => m.file.startsWith("policy/src/"))).toBe(true);
  });

  test("the first fragment of a message is its longest fixed piece, at most eight words", () => {
    expect(fragmentOf(["", " is in the past; choose a time in the future"])).toBe("is in the past; choose a time in");
    expect(fragmentOf(["", "; ", ""])).toBeUndefined();
    expect(fragmentOf(["apiEndpoints"])).toBeUndefined();
  });

  test("a message's fragment is its own: it grows until no other message holds it", () => {
    const a = { fragment: "", pieces: ["If a run of this stack was cut short while creating this resource, ", " may have made it"] };
    const b = { fragment: "", pieces: ["a run of this stack was cut short while creating access tokens; once this up has settled them"] };
    expect(uniqueFragment(b, [a, b])).toBe("a run of this stack was cut short while creating access");
    expect(uniqueFragment(a, [a, b])).toBe("If a run of this stack was cut");
    // In the code: no two different messages share a fragment, so one entry cannot pass for two.
    const byFragment = new Map<string, Set<string>>();
    for (const m of messages) byFragment.set(m.fragment, (byFragment.get(m.fragment) ?? new Set()).add(m.pieces.join("|").replace(/\s+/g, " ")));
    const shared = [...byFragment].filter(([, texts]) => texts.size > 1).map(([f]) => f);
    expect(shared).toEqual([]);
  });

  test("has an entry for every message: its whole fixed text, not only a fragment", () => {
    // Every fixed piece of three words or more, so that an entry for another message that shares
    // a fragment cannot pass for this one (the \`\${…}\` parts are the user's values).
    const trim = (p: string) => plain(p).trim().replace(/^[\s;:,.()"'`]+|[\s;:,("'`]+$/g, "");
    const missing = messages
      .map((m) => ({ m, gone: m.pieces.map(trim).filter((p) => p.split(" ").length >= 3 && !page.includes(p)) }))
      .filter(({ gone }) => gone.length > 0);
    const report = missing.map(({ m, gone }) => `  ${m.file}:${m.line} — "${m.fragment}": missing ${gone.map((g) => `"${g}"`).join(", ")}`);
    if (missing.length) throw new Error(`docs/troubleshooting.md has no entry for ${missing.length} message(s); add each (what it means, what to do):\n${report.join("\n")}`);
  });
});
