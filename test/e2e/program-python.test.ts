import * as fs from "node:fs";
import * as path from "node:path";
import { ok } from "../helpers/cli";
import { describeProgram } from "../helpers/language-program";
import { ROOT } from "../helpers/pack";

jest.setTimeout(600_000);

/** The project's environment: pulumi from PyPI and the SDK from its wheel (scripts/python-sdk.sh, run by the install script). */
const VENV = path.join(ROOT, ".tools/venv");

/**
 * Issue 20 item 2: examples/python, a Python program on the generated SDK installed as a package,
 * under the plain CLI (pulumi-language-python beside it), in the virtual environment its
 * Pulumi.yaml names.
 */
describeProgram(
  {
    name: "python",
    main: "__main__.py",
    prepare(dir) {
      const project = path.join(dir, "Pulumi.yaml");
      const text = fs.readFileSync(project, "utf8");
      expect(text).toContain("virtualenv: venv");
      fs.writeFileSync(project, text.replace("virtualenv: venv", `virtualenv: ${VENV}`));
    },
    env: {},
    path: [],
    rename: ['name="python-ci"', 'name="python-ci-2"'],
    allowlist: ['"10.20.0.0/16"', '"10.30.0.0/16"'],
    scopeChange: [
      ['scope="MicrosoftSCIM"', 'scope="All"'],
      ['expires_in="30d"', 'renewable_for="30d"'],
    ],
    paste(dir, code) {
      fs.appendFileSync(path.join(dir, "__main__.py"), `\n${code}`);
    },
    importedCode: [/^import pulumi_commvault_tokens as commvault$/m, /legacy = commvault\.AccessToken\("legacy",/, /name="legacy"/, /scope="Custom"/, /user_id=21/, /"\/client"/, /"10\.0\.0\.1"/, /opts ?= ?pulumi\.ResourceOptions\(protect=True\)/],
  },
  ({ pulumi, writes, edit }) => {
    test("a misspelled keyword argument fails the run before anything is written, with a message that names it", async () => {
      edit('renewable_for="90d"', 'renewable_fro="90d"');
      const before = writes();
      const r = await pulumi(["up", "--yes", "--skip-preview"]);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/unexpected keyword argument 'renewable_fro'/);
      expect(writes()).toBe(before);
      edit('renewable_fro="90d"', 'renewable_for="90d"');
      ok(await pulumi(["preview", "--expect-no-changes"]));
    });
  },
);
