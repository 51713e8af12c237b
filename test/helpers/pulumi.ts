import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";
import { installPulumi } from "../../scripts/tooling";
import { installPackedPackage } from "./pack";

export const PASSPHRASE = "e2e-passphrase-not-a-secret";

/**
 * The Pulumi CLI, from the project's install script. A missing CLI fails the test; it never
 * skips it.
 */
export async function pulumiCommand(): Promise<PulumiCommand> {
  return PulumiCommand.get({ root: installPulumi() });
}

export interface E2eProject {
  /** A fresh project with the packed package installed. */
  dir: string;
  /** Loads a module from that project, as the user's program would. */
  require: NodeRequire;
  stateDir: string;
  newStack(name: string, program: PulumiFn, config: Record<string, { value: string; secret?: boolean }>): Promise<Stack>;
}

export async function e2eProject(): Promise<E2eProject> {
  const cmd = await pulumiCommand();
  const { dir } = installPackedPackage({ linkPulumi: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cv-e2e-"));
  const stateDir = path.join(tmp, "state");
  fs.mkdirSync(stateDir);
  return {
    dir,
    require: createRequire(path.join(dir, "package.json")),
    stateDir,
    async newStack(name, program, config) {
      const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: name, projectName: "e2e", program },
        {
          pulumiCommand: cmd,
          workDir: fs.mkdtempSync(path.join(tmp, "work-")),
          pulumiHome: path.join(tmp, "home"),
          // The dynamic provider runs in `main`: it must find the installed package there.
          projectSettings: { name: "e2e", runtime: "nodejs", main: dir, backend: { url: `file://${stateDir}` } },
          envVars: { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE, PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true" },
        },
      );
      await stack.setAllConfig(config);
      return stack;
    },
  };
}

/** The stack's state file, as the local backend wrote it. */
export function stateFile(stateDir: string, project: string, stack: string): string {
  return fs.readFileSync(path.join(stateDir, ".pulumi", "stacks", project, `${stack}.json`), "utf8");
}
