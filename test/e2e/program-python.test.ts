import { ok, type CliResult } from "../helpers/cli";
import { describeProgram } from "../helpers/language-program";
import { PYTHON } from "../helpers/languages";

jest.setTimeout(600_000);

const flat = (r: CliResult) => (r.stdout + r.stderr).replace(/\s+/g, " ");

/**
 * Issue 20 item 2: examples/python, a Python program on the generated SDK installed as a package,
 * under the plain CLI (pulumi-language-python beside it), in the virtual environment its
 * Pulumi.yaml names.
 */
describeProgram(PYTHON, ({ h, pulumi, writes, edit }) => {
  test("a rolling lifetime past its end: `preview --refresh` says once that up extends it in place, never that the program declares the date", async () => {
    const clock = h.running.emulator.clock;
    const start = clock.now();
    clock.set(start + 40 * 86400);
    try {
      const r = await pulumi(["preview", "--refresh"], { COMMVAULT_TOKENS_NOW: String(clock.now()) });
      expect(flat(r)).toMatch(/access token "python-scim" \(id \d+\) is dead: expired \S+ has passed; `pulumi up` extends it in place to /);
      expect(flat(r)).not.toMatch(/still declares/);
    } finally {
      clock.set(start);
    }
  });

  test("a value passed as a secret is [secret] in every warning and refusal of its resource, and stays ciphertext in state", async () => {
    const name = 'name="python-scim",';
    const secretName = 'name=pulumi.Output.secret("rev20-py-SECRETNAME"),';
    edit(name, secretName);
    ok(await pulumi(["up", "--yes", "--skip-preview"]));
    const exported = ok(await pulumi(["stack", "export"]));
    expect(exported).not.toContain("SECRETNAME");
    // A note that names the token (its period changed): the name is the program's secret.
    edit('expires_in="30d"', 'expires_in="60d"');
    const note = await pulumi(["preview"]);
    expect(flat(note)).toMatch(/access token "\[secret\]" \(id \d+\): expires_in changed 30d => 60d: `pulumi up` extends it in place/);
    expect(flat(note)).not.toContain("SECRETNAME");
    edit('expires_in="60d"', 'expires_in="30d"');
    // Refusals that quote the value.
    edit('ip_allowlist=["10.20.0.0/16", "2001:db8:20::/48"],', 'ip_allowlist=[pulumi.Output.secret("10.66.0.0/33")],');
    const bad = await pulumi(["preview"]);
    expect(bad.code).not.toBe(0);
    expect(flat(bad)).toContain("[secret]");
    expect(flat(bad)).not.toContain("10.66.0.0/33");
    edit('ip_allowlist=[pulumi.Output.secret("10.66.0.0/33")],', 'ip_allowlist=["10.20.0.0/16", "2001:db8:20::/48"],');
    edit('expires_in="30d"', 'expires_at=pulumi.Output.secret("2027-13-45T00:00:00Z")');
    const date = await pulumi(["preview"]);
    expect(date.code).not.toBe(0);
    expect(flat(date)).toContain("[secret]");
    expect(flat(date)).not.toContain("2027-13-45");
    edit('expires_at=pulumi.Output.secret("2027-13-45T00:00:00Z")', 'expires_in="30d"');
    edit(secretName, name);
    ok(await pulumi(["up", "--yes", "--skip-preview"]));
    ok(await pulumi(["preview", "--expect-no-changes"]));
  });

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

  test("a misspelled nested key and a nested value of the wrong type fail at preview, named as the program wrote them, with the fix in Python; nothing is written", async () => {
    const args = "rotation=commvault.AccessTokenRotationArgs(every_days=30, overlap_days=7)";
    const before = writes();
    // A dict: Python's SDK translates the keys it knows and leaves a misspelled one as written.
    edit(args, 'rotation={"every_dayz": 30, "overlap_days": 7}');
    const typo = await pulumi(["preview"]);
    expect(typo.code).not.toBe(0);
    expect(flat(typo)).toContain("commvault:index:AccessToken resource 'ci' has a problem: rotation.every_dayz: `every_dayz` is not an AccessToken rotation input; did you mean `every_days`?");
    expect(flat(typo)).not.toMatch(/value \{<nil>\}|everyDays/);
    edit('rotation={"every_dayz": 30, "overlap_days": 7}', 'rotation={"every_days": "30", "overlap_days": 7}');
    const wrong = await pulumi(["up", "--yes"]);
    expect(wrong.code).not.toBe(0);
    expect(flat(wrong)).toContain(
      'commvault:index:AccessToken resource \'ci\' has a problem: rotation.every_days must be a whole number of days from 1 to 3650, not the string "30"; use rotation={"every_days": <days>, "before_end_days": <days>, "overlap_days": <days>} (whole days)',
    );
    expect(writes()).toBe(before);
    edit('rotation={"every_days": "30", "overlap_days": 7}', args);
    ok(await pulumi(["preview", "--expect-no-changes"]));
  });
});
