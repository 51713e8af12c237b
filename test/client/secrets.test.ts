import { inspect } from "node:util";
import { clientFor } from "../helpers/client";
import { useEmulator } from "../helpers/emulator";

const PASSWORD = "Known-Pa55word-4-tests";

/** Every way an error leaves a process: message, string form, JSON, inspection, stack. */
function renderings(e: unknown): string[] {
  const err = e as Error;
  return [err.message, String(err), JSON.stringify(err), inspect(err, { depth: 10, showHidden: true }), err.stack ?? ""];
}

describe("client: no secret in any error", () => {
  const h = useEmulator({ passwords: { admin: PASSWORD } });

  test("failures with a known password, session token and token secrets never show them", async () => {
    const errors: unknown[] = [];
    const capture = (p: Promise<unknown>) => p.then(() => errors.push(new Error("expected a failure")), (e: unknown) => errors.push(e));

    // A login refused for a wrong password that is close to the right one.
    await capture(clientFor(h, { password: `${PASSWORD}x` }).client.whoAmI());

    const { client } = clientFor(h, { password: PASSWORD });
    const created = await client.createToken({ tokenName: "secretive" });
    const session = h.running.emulator.store.data.sessions.at(-1)!.token;

    // The server echoes a malformed allow-list entry, here a token secret, in its message.
    await capture(client.modifyToken(created.accessTokenId, { allowedIPs: [created.accessToken, created.refreshToken!] }));
    // Renew with a wrong refresh token, then with the pair of an unknown token.
    await capture(client.renewToken(created.accessToken, `${created.refreshToken}-wrong`));
    await capture(client.renewToken(`${created.accessToken}00`, created.refreshToken!));
    // No answer at all: every attempt is reset.
    await h.api.ctl("POST", "faults", { kind: "reset", path: "/user" });
    await capture(clientFor(h, { password: PASSWORD, retry: { maxAttempts: 2 } }).client.listUsers());
    await h.api.ctl("DELETE", "faults");
    // An answer that breaks the contract while carrying secrets.
    h.running.emulator.variants.tokenTypeAsNames = true;
    (h.running.emulator.store.data.tokens[0] as unknown as { tokenType: number }).tokenType = 99;
    await capture(client.listTokens());
    await capture(client.createToken({ tokenName: "bad-type", tokenType: 9 }));

    expect(errors).toHaveLength(7);
    const secrets = [
      PASSWORD,
      Buffer.from(PASSWORD).toString("base64"),
      session,
      created.accessToken,
      created.refreshToken!,
    ];
    for (const e of errors) {
      expect((e as Error).message).toMatch(/^Commvault /);
      for (const text of renderings(e)) {
        for (const secret of secrets) expect(text).not.toContain(secret);
      }
    }
    // The echoed secret was replaced, not the whole message dropped.
    expect((errors[1] as Error).message).toMatch(/malformed entries: \[REDACTED\], \[REDACTED\]/);
  });
});
