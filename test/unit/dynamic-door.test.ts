import { SECRET_PAIR, dynamicProvider, packSecrets, unpackSecrets } from "../../provider/lifecycle/dynamic-door";
import { provider } from "../../provider/lifecycle/provider";
import { SECRET_SIG, SIG_KEY } from "../../provider/model/envelope";

/**
 * The dynamic door keeps the token's two secrets in state as one secret value (issue 22: the
 * engine encrypts and encodes each secret of each token at every save of the state file), and
 * gives the core its state with each secret under its own name, from that form or from state
 * written before, which keeps them apart.
 */
describe("the dynamic door's state: two secrets as one value", () => {
  const core = { name: "ci", tokenId: 104, accessToken: "at", refreshToken: "rt", userId: 1 };
  // The engine's secret envelope: the door marks the pair secret itself (no additionalSecretOutputs).
  const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });

  test("packing moves both secrets into __secrets, in the secret envelope, and unpacking gives the core's state back", () => {
    const packed = packSecrets(core);
    expect(packed).toEqual({ name: "ci", tokenId: 104, userId: 1, [SECRET_PAIR]: secret({ accessToken: "at", refreshToken: "rt" }) });
    expect(unpackSecrets(packed)).toEqual(core);
    // As the engine sends it to the dynamic provider host, which does not accept secrets: plain.
    expect(unpackSecrets({ name: "ci", tokenId: 104, userId: 1, [SECRET_PAIR]: { accessToken: "at", refreshToken: "rt" } })).toEqual(core);
  });

  test("a token with one secret (MicrosoftSCIM) packs that one; a sealed or adopted token, with none, is left as it is", () => {
    expect(packSecrets({ name: "scim", accessToken: "at" })).toEqual({ name: "scim", [SECRET_PAIR]: secret({ accessToken: "at" }) });
    const sealed = { name: "s", sealedPair: "-----BEGIN AGE ENCRYPTED FILE-----", secretFingerprint: "0123456789abcdef" };
    expect(packSecrets(sealed)).toBe(sealed);
    expect(unpackSecrets(sealed)).toBe(sealed);
  });

  test("__inputs travels inside the sealed pair, where the engine sees no keys, and comes back out for the core", () => {
    const withDeclared = { ...core, __inputs: { userName: "svc-backup" } };
    const packed = packSecrets(withDeclared);
    expect(packed).toEqual({ name: "ci", tokenId: 104, userId: 1, [SECRET_PAIR]: secret({ accessToken: "at", refreshToken: "rt", __inputs: { userName: "svc-backup" } }) });
    expect(unpackSecrets(packed)).toEqual(withDeclared);
    // A token with no secret in state (sealed, adopted) keeps it as a key of its own.
    const noSecret = { name: "s", sealedPair: "x", __inputs: { userId: 7 } };
    expect(packSecrets(noSecret)).toBe(noSecret);
  });

  test("a refresh of state that keeps __inputs beside the pair (the version before) keeps that layout: no change at the first refresh", async () => {
    const before = { name: "ci", tokenId: 104, userId: 1, __inputs: { userName: "svc-backup" }, [SECRET_PAIR]: { accessToken: "at", refreshToken: "rt" } };
    jest.spyOn(provider, "read").mockImplementation((async (id: string, props: Record<string, unknown>) => ({ id, props })) as never);
    const r = await dynamicProvider.read!("1:104", before);
    expect(r.props).toEqual({ ...before, [SECRET_PAIR]: secret({ accessToken: "at", refreshToken: "rt" }) });
    // State this version wrote reads back with __inputs still inside.
    const now = { name: "ci", tokenId: 104, userId: 1, [SECRET_PAIR]: { accessToken: "at", refreshToken: "rt", __inputs: { userName: "svc-backup" } } };
    expect((await dynamicProvider.read!("1:104", now)).props).toEqual({ ...now, [SECRET_PAIR]: secret(now[SECRET_PAIR]) });
    jest.restoreAllMocks();
  });

  test("state written before (the secrets under their own names) reaches the core unchanged", () => {
    expect(unpackSecrets(core)).toBe(core);
  });

  test("the door hands diff, update, read and delete the core's form, and stores what they return packed", async () => {
    const seen: Record<string, unknown>[] = [];
    const spy = <K extends "diff" | "update" | "read" | "delete">(k: K, answer: unknown) =>
      jest.spyOn(provider, k).mockImplementation((async (_id: string, olds: Record<string, unknown>) => {
        seen.push(olds);
        return answer;
      }) as never);
    const stored = packSecrets(core);
    spy("diff", { changes: false });
    spy("update", { outs: core });
    spy("read", { id: "1:104", props: core });
    spy("delete", undefined);
    await dynamicProvider.diff!("1:104", stored, { name: "ci" });
    expect(await dynamicProvider.update!("1:104", stored, { name: "ci" })).toEqual({ outs: stored });
    expect(await dynamicProvider.read!("1:104", stored)).toEqual({ id: "1:104", props: stored });
    await dynamicProvider.delete!("1:104", stored);
    expect(seen).toEqual([core, core, core, core]);
    jest.restoreAllMocks();
  });

  test("a refresh of state written before keeps the secrets apart: the engine keeps secret, after a read, only keys that were secret", async () => {
    jest.spyOn(provider, "read").mockImplementation((async (id: string, props: Record<string, unknown>) => ({ id, props })) as never);
    expect(await dynamicProvider.read!("1:104", core)).toEqual({ id: "1:104", props: core });
    jest.restoreAllMocks();
  });

  test("a read that drops the resource (no props) stays so", async () => {
    jest.spyOn(provider, "read").mockResolvedValue({} as never);
    expect(await dynamicProvider.read!("1:104", packSecrets(core))).toEqual({});
    jest.restoreAllMocks();
  });
});
