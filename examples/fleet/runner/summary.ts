import type { Mode, StackResult } from "./stack-run";

/** The drift gate's exit codes: 0 all well, 7 drift (drift mode only), 1 any stack failed. */
export function exitCode(mode: Mode, results: StackResult[]): number {
  if (results.some((r) => r.failed)) return 1;
  if (mode === "drift" && results.some((r) => (r.drifted ?? 0) > 0)) return 7;
  return 0;
}

/** One table, one row per stack; preview and drift show what `up` would do. */
export function summaryTable(mode: Mode, results: StackResult[]): string {
  const head = ["stack", "created", "updated", "replaced", "deleted", "drifted", "failed", "seconds", "why"];
  const rows = results.map((r) => [
    r.stack,
    String(r.created),
    String(r.updated),
    String(r.replaced),
    String(r.deleted),
    r.drifted === undefined ? "-" : String(r.drifted),
    r.failed ? "yes" : "no",
    String(r.seconds),
    r.reason ?? "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  const verb = mode === "up" ? "done" : "what up would do";
  const code = exitCode(mode, results);
  const verdict =
    code === 1
      ? `${results.filter((r) => r.failed).length} of ${results.length} stacks failed: ${results.filter((r) => r.failed).map((r) => r.stack).join(", ")} (exit 1)`
      : code === 7
        ? `drift in ${results.filter((r) => (r.drifted ?? 0) > 0).map((r) => r.stack).join(", ")} (exit 7): run up to put it back, or change tokens.yaml to match`
        : `all ${results.length} stacks ${mode === "drift" ? "match tokens.yaml" : "passed"} (exit 0)`;
  return [`fleet ${mode} summary (${verb}):`, line(head), ...rows.map(line), `fleet: ${verdict}`].join("\n");
}
