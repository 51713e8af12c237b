import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import type { CommvaultClient } from "../../provider/client/client";
import { commvaultError } from "../../provider/client/errors";
import { Redactor } from "../../provider/client/redact";
import type { TokenListEntry } from "../../provider/client/schemas";
import { discover, type Progress } from "../../provider/cli/discover";
import { renderProgram, type Discovered } from "../../provider/cli/program";
import { listedToken, readQuery, type ListedAccessToken } from "../../provider/connection/list";
import { ROOT } from "../helpers/pack";

const entry = (e: Partial<TokenListEntry> & { accessTokenId: number; tokenName: string }): TokenListEntry => ({ userId: 1, tokenType: 2, ...e }) as TokenListEntry;
const token = (t: Partial<ListedAccessToken> & { tokenId: number; name: string }): ListedAccessToken => ({ scope: "All", userId: 1, ipAllowlist: [], ...t });

describe("listedToken: a listed token in the resource's terms, never a secret", () => {
  test("times as RFC 3339, the lifetime field of the scope, canonical allow list, endpoints of Custom only", () => {
    const t = { accessTokenId: 7, userId: 21, tokenName: "x", tokenType: 3, createdTime: 1_700_000_000, renewableUntilTimestamp: 1_800_000_000, tokenExpiryTimestamp: 1_700_001_800, lastUsedTime: 0, apiEndpoints: ["/job", "/client", "/job"], allowedIPs: ["10.1.2.3/8", "10.0.0.1/32"], accessToken: "must-not-pass" };
    expect(listedToken(t as unknown as TokenListEntry, "svc-backup")).toEqual({
      tokenId: 7,
      name: "x",
      scope: "Custom",
      userId: 21,
      userName: "svc-backup",
      createdAt: "2023-11-14T22:13:20Z",
      renewableUntil: "2027-01-15T08:00:00Z",
      accessTokenExpiresAt: "2023-11-14T22:43:20Z",
      ipAllowlist: ["10.0.0.0/8", "10.0.0.1"],
      apiEndpoints: ["/client", "/job"],
    });
    const scim = listedToken(entry({ accessTokenId: 8, tokenName: "s", tokenType: 1, tokenExpiryTimestamp: 1_800_000_000, apiEndpoints: ["/x"] }));
    expect(scim).toEqual({ tokenId: 8, name: "s", scope: "MicrosoftSCIM", userId: 1, expiresAt: "2027-01-15T08:00:00Z" });
    // A list without allowedIPs says nothing of them: unknown, not "anywhere".
    expect(scim.ipAllowlist).toBeUndefined();
  });

  test("a query names one owner or none", () => {
    expect(readQuery({})).toEqual({});
    expect(readQuery({ userName: "svc-backup" })).toEqual({ userName: "svc-backup" });
    expect(() => readQuery({ userId: 1, userName: "admin" })).toThrow("give userId or userName, not both");
    expect(() => readQuery({ userId: "1" })).toThrow("userId must be a user id");
  });
});

describe("renderProgram", () => {
  const found = (tokens: ListedAccessToken[], extra: Partial<Discovered> = {}): Discovered => ({ url: "https://cs.example.com/commandcenter/api", username: "admin", users: [{ userId: 1, userName: "admin", tokens }], notes: [], ...extra });
  const now = new Date("2026-01-02T03:04:05Z");

  test("names that collide after slugging stay unique, as resources and as variables", () => {
    const text = renderProgram(found([token({ tokenId: 1, name: "CI pipeline" }), token({ tokenId: 2, name: "ci-pipeline!" }), token({ tokenId: 3, name: "2nd" })]), now);
    expect(text).toContain('const adminCiPipelineToken = new AccessToken("admin-ci-pipeline", {');
    expect(text).toContain('const adminCiPipeline2Token = new AccessToken("admin-ci-pipeline-2", {');
    expect(text).toContain('const admin2ndToken = new AccessToken("admin-2nd", {');
  });

  test("a token a rotation keeps aside is left out, with a line that says why; an unknown allow list says so", () => {
    const text = renderProgram(found([token({ tokenId: 1, name: "ci" }), token({ tokenId: 2, name: "ci~g1" }), token({ tokenId: 3, name: "quiet", ipAllowlist: undefined })]), now);
    expect(text).toContain('// Left out: "ci~g1" (id 2), kept aside by a rotation');
    expect(text).not.toContain("tokenId: 2 }");
    expect(text).toContain("// ipAllowlist: the server's list does not show allow lists");
    expect(text).toContain("// admin (user id 1): 2 access tokens");
  });

  test("the program type-checks against the SDK in strict mode, for every scope, a server, and no tokens", () => {
    const tokens = [
      token({ tokenId: 1, name: "all", ipAllowlist: ["10.0.0.0/8", "2001:db8::/48"] }),
      token({ tokenId: 2, name: "custom", scope: "Custom", apiEndpoints: ["/client"] }),
      token({ tokenId: 3, name: 'quote"s and \\ back', scope: "Hyperscale" }),
      token({ tokenId: 4, name: "scim", scope: "MicrosoftSCIM" }),
      token({ tokenId: 5, name: "bmr", scope: "OneTouchRecovery" }),
    ];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-render-"));
    const files = [
      [path.join(dir, "a.ts"), renderProgram(found(tokens, { server: "dr" }), now)],
      [path.join(dir, "b.ts"), renderProgram(found([]), now)],
    ] as const;
    for (const [f, text] of files) fs.writeFileSync(f, text);
    expect(files[0][1]).toContain('  server: "dr",');
    const program = ts.createProgram(
      files.map(([f]) => f),
      { strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, baseUrl: ROOT, paths: { "pulumi-commvault-tokens": ["sdk/index.ts"] }, types: [] },
    );
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(problems).toEqual([]);
  });
});

describe("discover: whose tokens it lists", () => {
  const users = [
    { userId: 22, userName: "svc-reporting" },
    { userId: 1, userName: "admin" },
    { userId: 11, userName: "alice" },
  ];
  const forbidden = () => commvaultError({ operation: "list access tokens", method: "GET", path: "/V4/AccessToken", status: 403, errorCode: 5, errorMessage: "missing permission" }, new Redactor());
  function fake(me: { userId: number; userName: string }, allowed: (userId: number) => boolean) {
    const listed: number[] = [];
    const c = {
      whoAmI: async () => me,
      listUsers: async () => users,
      listTokens: async (userId: number) => {
        listed.push(userId);
        if (!allowed(userId)) throw forbidden();
        return [entry({ accessTokenId: 100 + userId, userId, tokenName: `t${userId}` })];
      },
    } as unknown as CommvaultClient;
    return { c, listed };
  }
  const lines: string[] = [];
  const progress: Progress = { start: (t) => lines.push(t), end: (t) => (lines[lines.length - 1] += ` ${t}`) };
  const who = { url: "u", username: "x" };
  beforeEach(() => (lines.length = 0));

  test("an administrator: itself first, then every other user by id, one progress line each", async () => {
    const { c, listed } = fake({ userId: 1, userName: "admin" }, () => true);
    const d = await discover(c, who, {}, progress);
    expect(listed).toEqual([1, 11, 22]);
    expect(lines).toEqual(["listing tokens of admin (1/3)... 1 found", "listing tokens of alice (2/3)... 1 found", "listing tokens of svc-reporting (3/3)... 1 found"]);
    expect(d.users.map((u) => u.tokens.map((t) => t.tokenId))).toEqual([[101], [111], [122]]);
  });

  test("an end user: its own, and the first refusal ends the listing with a note instead of trying everyone", async () => {
    const { c, listed } = fake({ userId: 11, userName: "alice" }, (id) => id === 11);
    const d = await discover(c, who, {}, progress);
    expect(listed).toEqual([11, 1]);
    expect(d.users.map((u) => u.userName)).toEqual(["alice"]);
    expect(d.notes).toEqual(["the tokens of other users: alice is not an administrator, so only its own tokens were listed"]);
    await expect(discover(c, who, { allUsers: true }, progress)).rejects.toThrow("alice may not list the tokens of admin (user id 1): only an administrator lists other users' tokens");
  });

  test("--users by name or id; an unknown user and a refused one fail the run", async () => {
    const { c, listed } = fake({ userId: 1, userName: "admin" }, (id) => id !== 22);
    const d = await discover(c, who, { users: ["ALICE", "1"] }, progress);
    expect(listed).toEqual([11, 1]);
    expect(d.users.map((u) => u.userName)).toEqual(["alice", "admin"]);
    await expect(discover(c, who, { users: ["bob"] }, progress)).rejects.toThrow('--users: "bob" is not a user the login can see');
    await expect(discover(c, who, { users: ["22"] }, progress)).rejects.toThrow("admin may not list the tokens of svc-reporting (user id 22)");
  });

  test("--mine lists only the logged-in user, without the user list", async () => {
    const { c, listed } = fake({ userId: 1, userName: "admin" }, () => true);
    await discover(c, who, { mine: true }, progress);
    expect(listed).toEqual([1]);
  });
});

describe("discover leaves out only real aside tokens", () => {
  test("x~g1 is an aside token only while its owner also has x", () => {
    const { isAside } = require("../../provider/cli/program") as typeof import("../../provider/cli/program");
    expect(isAside("x~g1", [{ name: "x~g1" }, { name: "X" }])).toBe(true);
    expect(isAside("x~g1", [{ name: "x~g1" }])).toBe(false);
    expect(isAside("x", [{ name: "x" }, { name: "x~g1" }])).toBe(false);
  });
});
