import { SETTINGS } from "../../provider/connection/config";
import { ACCESS_TOKEN_KEYS, INPUTS } from "../../provider/model/inputs";
import { COMPUTED } from "../../provider/model/resolve-time";
import schema from "../../plugin/schema.json";
import { SECRET_OUTPUTS } from "../../plugin/wire";

/**
 * The plugin's schema is the one place besides the core that names the resource's inputs and
 * outputs; these tests keep the two the same, so that no input of the core is missing from YAML,
 * Python or Go programs, and nothing there is an input the core refuses.
 */
describe("plugin schema", () => {
  const token = schema.resources["commvault:index:AccessToken"];
  type Prop = { secret?: boolean };

  test("declares exactly the core's inputs, with name required", () => {
    expect(Object.keys(token.inputProperties).sort()).toEqual([...INPUTS].sort());
    expect(token.requiredInputs).toEqual(["name"]);
  });

  test("declares every input and output of the core as an output, and secretKnown", () => {
    const outputs = [...INPUTS, ...(ACCESS_TOKEN_KEYS.outputs ?? []), ...COMPUTED, "secretKnown", "userName"];
    expect(Object.keys(token.properties).sort()).toEqual([...new Set(outputs)].sort());
  });

  test("marks exactly accessToken and refreshToken secret, as the door does", () => {
    const secret = Object.entries(token.properties as Record<string, Prop>).filter(([, p]) => p.secret).map(([k]) => k);
    expect(secret.sort()).toEqual([...SECRET_OUTPUTS].sort());
  });

  test("declares the core's settings as provider config, the password secret", () => {
    const vars = schema.config.variables as Record<string, Prop>;
    expect(Object.keys(vars).sort()).toEqual(Object.keys(SETTINGS).sort());
    expect(Object.keys(schema.provider.inputProperties).sort()).toEqual(Object.keys(SETTINGS).sort());
    for (const [name, s] of Object.entries(SETTINGS)) {
      expect([name, Boolean(vars[name]!.secret)]).toEqual([name, s.secret]);
      expect([name, Boolean((schema.provider.inputProperties as Record<string, Prop>)[name]!.secret)]).toEqual([name, s.secret]);
      expect(s.key).toBe(`commvault:${name}`);
    }
  });
});
