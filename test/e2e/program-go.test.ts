import { ok, type CliResult } from "../helpers/cli";
import { describeProgram } from "../helpers/language-program";
import { GO } from "../helpers/languages";

// The first build of a Go program compiles Pulumi's Go SDK (about 4 minutes on 2 cores); it
// lands in Go's build cache, shared with plugin-sdks.test.ts (same flags).
jest.setTimeout(900_000);

const flat = (r: CliResult) => (r.stdout + r.stderr).replace(/\s+/g, " ");

/** Issue 20 item 1: examples/go, a Go program on sdk/go, under the plain CLI (pulumi-language-go beside it). */
describeProgram(GO, ({ pulumi, writes, edit }) => {
  // Go's typed structs refuse a misspelled field at compile time; what reaches the provider
  // wrong is a value. Its refusal names the field and the fix as a Go program writes them.
  test("a wrong nested value and a wrong top-level value fail at preview, in Go's spelling; nothing is written", async () => {
    const before = writes();
    edit("EveryDays:   pulumi.Int(30),", "EveryDays:   pulumi.Int(0),");
    const nested = await pulumi(["up", "--yes"]);
    expect(nested.code).not.toBe(0);
    expect(flat(nested)).toContain(
      "commvault:index:AccessToken resource 'ci' has a problem: Rotation.EveryDays must be a whole number of days from 1 to 3650, not the number 0; use Rotation: &commvault.AccessTokenRotationArgs{EveryDays: pulumi.Int(<days>), BeforeEndDays: pulumi.Int(<days>), OverlapDays: pulumi.Int(<days>)} (whole days)",
    );
    expect(flat(nested)).not.toMatch(/value \{<nil>\}|everyDays/);
    edit("EveryDays:   pulumi.Int(0),", "EveryDays:   pulumi.Int(30),");
    edit('RenewableFor: pulumi.String("90d"),', 'RenewableFor: pulumi.String("90"),');
    const top = await pulumi(["preview"]);
    expect(top.code).not.toBe(0);
    expect(flat(top)).toContain(`commvault:index:AccessToken resource 'ci' has a problem: RenewableFor "90" is not a number of days (write it as "90d"); use a number of days such as "90d" (All, Custom, Hyperscale; at most 364)`);
    expect(writes()).toBe(before);
    edit('RenewableFor: pulumi.String("90"),', 'RenewableFor: pulumi.String("90d"),');
    ok(await pulumi(["preview", "--expect-no-changes"]));
  });
});
