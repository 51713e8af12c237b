import type { CommvaultClient } from "../../provider/client/client";
import type { AccessTokenState } from "../../provider/model/state";
import { ownerVerdict } from "../../provider/connection/owner";

const state = (extra: Partial<AccessTokenState> = {}): AccessTokenState => ({
  name: "t", scope: "All", ipAllowlist: [], replaceOnForbiddenScopeChange: false, tokenId: 104, userId: 21, userName: "svc-backup", ...extra,
});

/** A client that serves one user list and counts its calls. */
function users(list: { userId: number; userName: string }[]) {
  const calls: string[] = [];
  const c = { listUsers: async () => (calls.push("listUsers"), list), whoAmI: async () => (calls.push("whoAmI"), { userId: 1, userName: "admin" }) } as unknown as CommvaultClient;
  return { get: () => c, calls };
}

describe("owner identity is the user id in state", () => {
  test("no owner named: the owner recorded at creation stays, with no look-up", async () => {
    const u = users([]);
    expect(await ownerVerdict(u.get, state(), {})).toBe("same");
    expect(u.calls).toEqual([]);
  });

  test("the same declared name, in any case, needs no look-up", async () => {
    const u = users([]);
    expect(await ownerVerdict(u.get, state(), { userName: "SVC-Backup" })).toBe("same");
    expect(u.calls).toEqual([]);
  });

  test("a name changed in the program is looked up: the same id is the same owner (a rename)", async () => {
    const u = users([{ userId: 21, userName: "svc-backup-2" }, { userId: 22, userName: "svc-reporting" }]);
    expect(await ownerVerdict(u.get, state(), { userName: "svc-backup-2" })).toBe("same");
    expect(await ownerVerdict(u.get, state(), { userName: "svc-reporting" })).toBe("changed");
  });

  test("a declared id is compared with the state's id", async () => {
    const u = users([]);
    expect(await ownerVerdict(u.get, state(), { userId: 21 })).toBe("same");
    expect(await ownerVerdict(u.get, state(), { userId: 22 })).toBe("changed");
    expect(u.calls).toEqual([]);
  });

  test("an owner still unknown at preview is unknown", async () => {
    const U = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect(await ownerVerdict(users([]).get, state(), { userName: U })).toBe("unknown");
    expect(await ownerVerdict(users([]).get, state(), { userId: U as unknown as number })).toBe("unknown");
  });
});
