import { LocalWorkspace, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";
import { oneLine } from "./redact";

export type Mode = "preview" | "up" | "drift";

/** What one stack's run did (or, for preview and drift, would do), for the summary. */
export interface StackResult {
  stack: string;
  created: number;
  updated: number;
  replaced: number;
  deleted: number;
  /** drift only: how many tokens a `pulumi up` would change after the refresh. */
  drifted?: number;
  failed: boolean;
  reason?: string;
  seconds: number;
}

export interface StackRun {
  readonly stack: string;
  /** True once the CLI said it is cancelling (a Ctrl-C reached it, from the terminal or from cancel()). */
  readonly cancelling: boolean;
  /** Sends the CLI one SIGINT: Pulumi's graceful cancel, which finishes the steps under way and releases the lock. */
  cancel(): void;
  done: Promise<StackResult>;
}

const SKIP = new Set(["pulumi:pulumi:Stack"]);
const isToken = (type: string) => !SKIP.has(type) && !type.startsWith("pulumi:providers:");

/**
 * Runs one stack through the Automation API (a local workspace on the program folder, the plain
 * CLI underneath) and prints one line per engine event worth a line, prefixed by the stack.
 */
export function runStack(stack: string, mode: Mode, programDir: string, env: Record<string, string>, print: (line: string) => void): StackRun {
  const abort = new AbortController();
  const started = Date.now();
  const result: StackResult = { stack, created: 0, updated: 0, replaced: 0, deleted: 0, failed: false, seconds: 0 };
  let cancelling = false;
  let locked = false; // the engine ran, so this run held the stack's lock
  let finished = false; // the engine reached its summary, so the CLI released the lock itself
  let tokenError: string | undefined;
  let stackError: string | undefined;
  const say = (text: string) => print(`[${stack}] ${text}`);

  const onEvent = (e: EngineEvent) => {
    if (e.preludeEvent) {
      locked = true;
      say(`started ${mode}`);
    } else if (e.resOutputsEvent) {
      // One per step, at its end (a preview's planned steps too).
      const m = e.resOutputsEvent.metadata;
      if (!isToken(m.type) || m.op === "same" || m.op === "refresh" || m.op === "read") return;
      const name = m.urn.split("::").pop();
      if (m.op === "create") result.created++;
      else if (m.op === "update") result.updated++;
      else if (m.op === "replace") result.replaced++;
      else if (m.op === "delete") result.deleted++;
      else return; // the halves of a replacement, counted once as replace
      const keys = m.diffs?.length ? m.diffs : changedInputs(m.old?.inputs, m.new?.inputs);
      const diffs = m.op === "update" && keys.length ? ` (${keys.join(", ")})` : "";
      say(`${mode === "up" ? "" : "would "}${m.op} ${name}${diffs}`);
    } else if (e.resOpFailedEvent) {
      const name = e.resOpFailedEvent.metadata.urn.split("::").pop();
      say(`failed ${e.resOpFailedEvent.metadata.op} ${name}`);
    } else if (e.diagnosticEvent && e.diagnosticEvent.severity === "error") {
      const text = oneLine(e.diagnosticEvent.message);
      if (!text) return;
      // A token's own error says why; the stack's ("update failed") only that something did.
      if (e.diagnosticEvent.urn && !e.diagnosticEvent.urn.includes("pulumi:pulumi:Stack")) tokenError ??= text;
      else stackError ??= text;
      say(`error: ${text}`);
    } else if (e.summaryEvent) {
      finished = true;
    }
  };

  const done = (async (): Promise<StackResult> => {
    let s: Stack | undefined;
    try {
      s = await LocalWorkspace.createOrSelectStack({ stackName: stack, workDir: programDir }, { envVars: env });
      // The CLI says so on stdout when a Ctrl-C reached it (the engine's cancel event closes every run).
      const onOutput = (text: string) => {
        if (!cancelling && /received; cancelling/.test(text)) {
          cancelling = true;
          say("cancelling: the steps under way finish, then the CLI releases the lock");
        }
      };
      // A cancel that came while the stack was being selected: the operation never starts.
      if (abort.signal.aborted) throw new Error("the runner was stopped before the operation started");
      const opts = { onEvent, onOutput, signal: abort.signal, color: "never" as const };
      if (mode === "up") await s.up({ ...opts, refresh: true });
      else if (mode === "preview") await s.preview(opts);
      else await s.preview({ ...opts, refresh: true });
      if (mode === "drift") result.drifted = result.created + result.updated + result.replaced + result.deleted;
    } catch (err) {
      result.failed = true;
      result.reason = tokenError ?? stackError ?? lastErrorLine(err) ?? "the pulumi CLI failed without saying why";
    }
    if (abort.signal.aborted || cancelling) {
      result.failed = true;
      result.reason = `cancelled${result.reason ? `: ${result.reason}` : ""}`;
    }
    // A CLI that died while it held the lock (killed, or terminated by a second Ctrl-C) left it
    // behind; it is this run's own lock, so release it. A run that never got the lock (another
    // run holds it) must not touch it. Previews take the lock too (seen with the file backend).
    if (s && locked && !finished) {
      try {
        await s.cancel();
        say("released the lock the interrupted CLI left (pulumi cancel)");
      } catch {
        // no lock was left
      }
    }
    result.seconds = Math.round((Date.now() - started) / 100) / 10;
    say(result.failed ? `FAILED: ${result.reason}` : `done in ${result.seconds}s`);
    return result;
  })();
  return { stack, get cancelling() { return cancelling; }, cancel: () => abort.abort(), done };
}

/**
 * The inputs an update changes, by name only (never a value). A dynamic provider's steps carry no
 * diff in their events, so it is the old inputs (after a refresh, what the server holds) against the new.
 */
function changedInputs(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): string[] {
  if (!before || !after) return [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => !k.startsWith("__") && JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

/** The last `error:` line of the CLI's output, else its last line: short and one line. */
function lastErrorLine(err: unknown): string | undefined {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /^error:/i.test(l));
  const pick = errors.pop() ?? lines.pop();
  return pick ? oneLine(pick.replace(/^error:\s*/i, "")) : undefined;
}
