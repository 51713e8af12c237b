import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../helpers/pack";

const run = promisify(execFile);
jest.setTimeout(600_000);

/**
 * Issue 20 item 9: `commvault.NewAccessToken(ctx, "t", nil)` names the required argument and how to
 * give it (tools/codegen rewrites the generator's "missing one or more required arguments").
 * test/go/nil-args/main.go.txt runs it under Pulumi's mocks, in a module beside examples/go's
 * (same go.mod and go.sum) whose SDK is the checked-in sdk/go. Go must be installed: no skip.
 */
test("NewAccessToken with nil args names Name and how to give it", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-go-nil-"));
  const mod = fs.readFileSync(path.join(ROOT, "examples/go/go.mod"), "utf8");
  if (!mod.includes("=> ../../sdk/go")) throw new Error("examples/go/go.mod no longer replaces the SDK by ../../sdk/go");
  fs.writeFileSync(path.join(dir, "go.mod"), mod.replace("=> ../../sdk/go", `=> ${path.join(ROOT, "sdk/go")}`));
  fs.copyFileSync(path.join(ROOT, "examples/go/go.sum"), path.join(dir, "go.sum"));
  fs.copyFileSync(path.join(ROOT, "test/go/nil-args/main.go.txt"), path.join(dir, "main.go"));
  const env = { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin`, GOFLAGS: "-buildvcs=false", GOTOOLCHAIN: "auto", CGO_ENABLED: "0" };
  const { stdout } = await run("go", ["run", "."], { cwd: dir, env, maxBuffer: 16 << 20 });
  expect(stdout.trim()).toBe("NewAccessToken: args is nil, but Name is required: give &commvault.AccessTokenArgs{Name: ...}");
});
