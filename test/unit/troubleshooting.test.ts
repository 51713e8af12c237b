import * as fs from "node:fs";
import * as path from "node:path";
import { collectMessages, fragmentOf } from "../helpers/messages";

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
  const messages = collectMessages(ROOT, ["provider", "plugin", "sdk"]);

  test("the collector finds the messages it is meant to find", () => {
    // A floor, so that a change to the collector cannot quietly make it find nothing.
    expect(messages.length).toBeGreaterThan(120);
    const fragments = messages.map((m) => m.fragment);
    expect(fragments).toContain("scope \"Custom\" needs apiEndpoints");
    expect(fragments.some((f) => f.startsWith("the server's certificate is not trusted"))).toBe(true);
    expect(fragments.some((f) => f.includes("names no owner") || f.startsWith("To move it on purpose"))).toBe(true);
  });

  test("the fragment of a message is its longest fixed piece, at most eight words", () => {
    expect(fragmentOf(["", " is in the past; choose a time in the future"])).toBe("is in the past; choose a time in");
    expect(fragmentOf(["", "; ", ""])).toBeUndefined();
    expect(fragmentOf(["apiEndpoints"])).toBeUndefined();
  });

  test("has an entry for every message", () => {
    const missing = messages.filter((m) => !page.includes(plain(m.fragment)));
    const report = missing.map((m) => `  ${m.file}:${m.line} — "${m.fragment}" (from ${m.text.replace(/\s+/g, " ").slice(0, 120)})`);
    if (missing.length) throw new Error(`docs/troubleshooting.md has no entry for ${missing.length} message(s); add each (what it means, what to do):\n${report.join("\n")}`);
  });
});
