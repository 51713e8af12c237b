import * as path from "node:path";
import { ROOT } from "../helpers/pack";
import { projectPython, runPython } from "../helpers/venv";

jest.setTimeout(120_000);

let python: string;
beforeAll(async () => {
  python = await projectPython();
}, 600_000);

/**
 * Issue 20 item 3: keyword arguments beside an args object (`AccessToken("t", AccessTokenArgs(...),
 * renewable_fro="1d")`) were dropped without a word by the generated get_resource_args_opts;
 * tools/codegen makes it refuse them, naming each, before the resource is registered (the refusal
 * comes first in __init__, so no engine is needed to see it). The checked-in sdk/python is tested.
 */
test("keywords beside an AccessTokenArgs object are refused, each named, before anything is registered", async () => {
  const script = [
    "import pulumi, pulumi_commvault_tokens as commvault",
    "try:",
    "    commvault.AccessToken('t', commvault.AccessTokenArgs(name='t'), pulumi.ResourceOptions(), renewable_fro='1d', user_id=21)",
    "except TypeError as e:",
    "    print(e)",
  ].join("\n");
  const r = await runPython(python, ["-c", script], { env: { PYTHONPATH: path.join(ROOT, "sdk/python") } });
  expect([r.code, r.stdout.trim()]).toEqual([0, "renewable_fro, user_id: given as keyword argument(s) beside the AccessTokenArgs object, which would be ignored; put them in the AccessTokenArgs(...), or give every argument as a keyword and no args object"]);
});
