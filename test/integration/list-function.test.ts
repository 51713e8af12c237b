import * as pulumi from "@pulumi/pulumi";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { parseServers } from "../../provider/connection/config";
import { listWithSettings, profileOf } from "../../provider/connection/list";
import { listAccessTokens } from "../../sdk";
import { ADMIN, SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { RawApi } from "../helpers/raw-api";

const DR_PASSWORD = "dr-password-for-the-list-function";

/** The value of an Output, and whether it is secret. */
async function valueOf<T>(o: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
  const value = await new Promise<T>((resolve) => o.apply(resolve));
  return { value, secret: await pulumi.isSecret(o) };
}

/**
 * listAccessTokens in a program (Pulumi's mocks, stack config set as the engine sets it) against
 * the emulator: the default settings, a `commvault:servers` profile, and the failures.
 */
describe("listAccessTokens", () => {
  const h = useEmulator();
  let dr: RunningEmulator;
  const configure = (config: Record<string, string>, secretKeys: string[] = []) => pulumi.runtime.setAllConfig(config, secretKeys);

  beforeAll(async () => {
    dr = await startEmulator({ control: true, passwords: { admin: DR_PASSWORD } });
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "p", "s", false);
  });
  afterAll(() => dr.close());
  beforeEach(() => dr.emulator.reset());

  test("reads the default commvault:* settings: the logged-in user's tokens, or a named owner's; never secret, never a secret inside", async () => {
    configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password }, ["commvault:password"]);
    const mine = (await h.api.create(h.admin, { tokenName: "mine", allowedIPs: ["10.0.0.1/32"] })).body.tokenInfo as { accessTokenId: number; accessToken: string };
    await h.api.create(h.admin, { tokenName: "svc", userId: SVC_BACKUP, tokenType: 1 });
    const own = await valueOf(listAccessTokens());
    expect(own.secret).toBe(false);
    expect(own.value).toEqual([expect.objectContaining({ tokenId: mine.accessTokenId, name: "mine", scope: "All", userId: 1, userName: "admin", ipAllowlist: ["10.0.0.1"] })]);
    expect(JSON.stringify(own.value)).not.toContain(mine.accessToken);
    const svc = await valueOf(listAccessTokens({ userName: "svc-backup" }));
    expect(svc.value).toEqual([expect.objectContaining({ name: "svc", scope: "MicrosoftSCIM", userId: SVC_BACKUP, expiresAt: expect.stringMatching(/Z$/) })]);
    expect(svc.value[0]!.renewableUntil).toBeUndefined();
  });

  test("a profile of commvault:servers is a CommServe of its own, with its own password", async () => {
    const api = new RawApi(dr.url);
    await api.create(await api.login(ADMIN.username, DR_PASSWORD), { tokenName: "on-dr", userId: SVC_BACKUP });
    configure(
      {
        "commvault:url": h.running.url,
        "commvault:username": ADMIN.username,
        "commvault:password": ADMIN.password,
        "commvault:servers": JSON.stringify({ dr: { url: dr.url, username: ADMIN.username, password: DR_PASSWORD } }),
      },
      ["commvault:password", "commvault:servers"],
    );
    const listed = await valueOf(listAccessTokens({ userId: pulumi.output(SVC_BACKUP), server: "dr" }));
    expect(listed).toEqual({ value: [expect.objectContaining({ name: "on-dr", userId: SVC_BACKUP })], secret: false });
    expect((await valueOf(listAccessTokens({ userId: SVC_BACKUP }))).value).toEqual([]);
  });

  test("a missing profile, a missing setting and a wrong password fail with the fix, and never with the password (the core the function calls)", async () => {
    const servers = parseServers(JSON.stringify({ dr: { url: dr.url } }));
    expect(() => profileOf(servers, "eu")).toThrow(/no CommServe profile "eu" is configured: set it with `pulumi config set --path commvault:servers.eu.url/);
    await expect(listWithSettings(profileOf(servers, "dr"), process.env, "dr", {})).rejects.toThrow(
      /Missing Commvault setting commvault:servers.dr.username: set it with `pulumi config set --path commvault:servers.dr.username/,
    );
    const refused = (await listWithSettings({ url: h.running.url, username: ADMIN.username, password: "wrong-password-123" }, {}, undefined, {}).catch((e: unknown) => e)) as Error;
    expect(refused.message).toMatch(/log in as "admin" failed/);
    expect(refused.message).not.toContain("wrong-password-123");
  });
});
