import * as fs from "node:fs";
import * as path from "node:path";
import { looksLikePython, translate, type Language } from "../provider/model/speak";

const RUNTIMES: Record<string, Language> = { nodejs: "nodejs", yaml: "yaml", python: "python", go: "go" };

/**
 * The program's language, for messages in its own spelling. The engine tells a provider nothing
 * of it, but starts the plugin in the project's folder: its Pulumi.yaml names the runtime
 * (`runtime: go`, or `runtime:` with `name: python`, in block or flow form). Without one (an inline Automation API
 * program), the Python host's PULUMI_RUNTIME_VIRTUALENV, or a nested key that Python's SDK
 * left in snake_case, still says Python; else the language is not known (undefined).
 */
export function projectLanguage(dir = process.cwd(), env: NodeJS.ProcessEnv = process.env): Language | undefined {
  for (const file of ["Pulumi.yaml", "Pulumi.yml"]) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, file), "utf8");
    } catch {
      continue;
    }
    const m =
      /^runtime:[ \t]*["']?([A-Za-z]+)["']?[ \t]*(?:#.*)?$/m.exec(text) ??
      /^runtime:[ \t]*\{[^}]*\bname:[ \t]*["']?([A-Za-z]+)/m.exec(text) ??
      /^runtime:[ \t]*(?:#.*)?\n(?:[ \t]+.*\n)*?[ \t]+name:[ \t]*["']?([A-Za-z]+)/m.exec(text);
    if (m) return RUNTIMES[m[1]!.toLowerCase()];
  }
  return env.PULUMI_RUNTIME_VIRTUALENV ? "python" : undefined;
}

let cached: { language: Language | undefined } | undefined;

/** The language of the program whose inputs these are (the project's, read once per plugin run). */
export function languageOf(news: Record<string, unknown>): Language | undefined {
  cached ??= { language: projectLanguage() };
  return cached.language ?? (looksLikePython(news) ? "python" : undefined);
}

/** The project's language as its Pulumi.yaml says (read once per plugin run; undefined when not known). */
export function programLanguage(): Language | undefined {
  cached ??= { language: projectLanguage() };
  return cached.language;
}

/**
 * An error or a note of the core in the program's spelling (`userName "x"` is `user_name "x"` to a
 * Python program, `UserName "x"` to a Go one), as check's refusals are (speak.ts).
 */
export function spoken(text: string, lang: Language | undefined = programLanguage()): string {
  return lang === "python" || lang === "go" ? translate(text, lang) : text;
}
