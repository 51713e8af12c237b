import { ok } from "../helpers/cli";
import { describeProgram } from "../helpers/language-program";
import { PYTHON } from "../helpers/languages";

jest.setTimeout(600_000);

/**
 * Issue 20 item 2: examples/python, a Python program on the generated SDK installed as a package,
 * under the plain CLI (pulumi-language-python beside it), in the virtual environment its
 * Pulumi.yaml names.
 */
describeProgram(PYTHON, ({ pulumi, writes, edit }) => {
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
});
