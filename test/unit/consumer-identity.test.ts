import * as os from "node:os";
import * as path from "node:path";
import { readIdentities } from "../../examples/token-consumer/sealed";

/** The Node.js consumer's --identity: a file it cannot read is named with the flag and the fix, not a bare ENOENT. */
describe("token consumer: --identity", () => {
  test("a missing identity file names --identity, the file and how to make one", () => {
    const missing = path.join(os.tmpdir(), `no-such-identity-${process.pid}.txt`);
    expect(() => readIdentities(missing)).toThrow(`--identity ${missing} cannot be read (ENOENT): give the age key file whose recipient is in the token's sealTo (made with \`age-keygen -o key.txt\`)`);
  });
});
