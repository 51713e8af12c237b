import { door } from "../../plugin/door";
import { unwrap } from "../../plugin/secrets";
import { outputs } from "../../plugin/wire";
import { ADMIN, useEmulator } from "../helpers/emulator";
import { configure, forgetRun, provider } from "../helpers/lifecycle";

/**
 * The plugin keeps `__inputs` (what the program declares of the owner and lifetime) out of its
 * state and rebuilds it from the stored inputs the engine sends with every read
 * (docs/benchmarks.md: each key of state costs the engine time at every save).
 */
describe("the plugin's state without __inputs", () => {
  const h = useEmulator();
  beforeEach(() => configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password }));
  type Obj = Record<string, unknown>;
  const plainOf = (o: Obj) => JSON.parse(JSON.stringify(o)) as Obj;
  /** What the engine sends the door (server.ts): the stored outputs, their secrets unwrapped. */
  const sent = (o: Obj) => unwrap(o) as Obj;

  async function created(news: Record<string, unknown>) {
    const inputs = plainOf((await provider.check!({}, news)).inputs!);
    const r = await door.create(inputs);
    return { id: r.id, inputs, properties: r.properties };
  }

  test("a create's outputs leave it out; a hand rename reads back the program's own owner, as with it in state", async () => {
    const d = await created({ name: "declared", userName: "svc-backup" });
    expect(d.properties).not.toHaveProperty("__inputs");
    await h.api.call("PUT", `/V4/AccessToken/${d.properties.tokenId}`, { token: h.admin, body: { tokenName: "by-hand" } });
    forgetRun();
    const r = await door.read(d.id, sent(d.properties), d.inputs);
    // The program's `userName`, not nothing: without it the preview would show the owner as added.
    expect(r.inputs).toMatchObject({ name: "by-hand", userName: "svc-backup", __inputs: { userName: "svc-backup" } });
    expect(r.properties).not.toHaveProperty("__inputs");
    // The next read takes the declared values from the inputs that read gave (the engine's now).
    forgetRun();
    const again = await door.read(d.id, sent(r.properties), r.inputs!);
    expect(again.inputs).toBeUndefined();
    expect(again.properties).toEqual(r.properties);
  });

  test("an unchanged token reads back as it was, with no inputs: a refresh stays a no-op", async () => {
    const d = await created({ name: "still", userName: "svc-backup", renewableFor: "30d" });
    forgetRun();
    const r = await door.read(d.id, sent(d.properties), d.inputs);
    expect(r.properties).toEqual(d.properties);
    expect(r.inputs).toBeUndefined();
  });

  test("state written before, which holds __inputs, keeps it through a read, so its refresh stays a no-op", async () => {
    const d = await created({ name: "older", userName: "svc-backup" });
    const before = outputs({ ...sent(d.properties), __inputs: { userName: "svc-backup" } }, true);
    forgetRun();
    const r = await door.read(d.id, sent(before), d.inputs);
    expect(r.properties).toEqual(before);
    expect(r.inputs).toBeUndefined();
  });
});
