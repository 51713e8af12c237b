import type * as dynamic from "@pulumi/pulumi/dynamic";
import { importToken } from "../provider/lifecycle/import";
import { provider } from "../provider/lifecycle/provider";
import { listTokensOf, readQuery } from "../provider/connection/list";
import { client } from "../provider/connection/runtime";
import { localize } from "../provider/model/speak";
import { languageOf } from "./language";
import { DECLARED, declaredOf } from "../provider/lifecycle/mapping";
import type { AccessTokenInputs } from "../provider/model/inputs";
import { outputs, plain } from "./wire";

type Obj = Record<string, unknown>;

/**
 * The plugin's side of the one core: each engine call becomes the dynamic provider's method of
 * the same name, with the same arguments, and its answer goes back unchanged but for the wire
 * (plain values in, secret outputs marked on the way out). No rule, message or API call lives
 * here: a door that needed one would show that the core lacks it.
 */
export const door = {
  async configure(config: Map<string, string>): Promise<void> {
    await provider.configure!({
      config: {
        get: (key: string) => config.get(key),
        require: (key: string) => {
          const v = config.get(key);
          if (v === undefined) throw new Error(`Missing required configuration key: ${key}`);
          return v;
        },
      },
    });
  },

  async check(olds: Obj, news: Obj): Promise<dynamic.CheckResult> {
    const r = await provider.check!(olds, news);
    // The core's refusals name fields as the schema does: said in the program's own spelling.
    return { inputs: plain(r.inputs), failures: localize(r.failures ?? [], languageOf(news)) };
  },

  async diff(id: string, olds: Obj, news: Obj): Promise<dynamic.DiffResult> {
    return provider.diff!(id, olds, news);
  },

  async create(inputs: Obj): Promise<{ id: string; properties: Obj }> {
    try {
      const r = await provider.create(inputs);
      return { id: r.id, properties: outputs(r.outs) };
    } catch (e) {
      // A create whose answer was lost stays in state as pending (the core's partial failure).
      const partial = e as { id?: string; properties?: Obj };
      if (partial.id) partial.properties = outputs(partial.properties);
      throw e;
    }
  },

  /**
   * Refresh reads by the state's userId and tokenId; an import has no state, only the id to parse.
   * `inputs` are the resource's stored inputs, which the engine sends with a read: the core's
   * `__inputs` comes from them (their own `__inputs` after a read that gave the server's values,
   * else what they declare), unless state written before still holds it.
   */
  async read(id: string, props: Obj, inputs: Obj = {}): Promise<{ id: string; properties: Obj; inputs?: Obj }> {
    if (props.userId === undefined) {
      const r = await importToken(id);
      return { id: r.id, properties: outputs(r.props), inputs: plain(r.inputs) };
    }
    const stored = DECLARED in props;
    const declared = stored ? undefined : declaredFrom(inputs);
    const r = await provider.read!(id, declared === undefined ? props : { ...props, [DECLARED]: declared });
    if (!r.id) return { id: "", properties: {} };
    return { id: r.id, properties: outputs(r.props, stored), inputs: r.inputs === undefined ? undefined : plain(r.inputs) };
  },

  async update(id: string, olds: Obj, news: Obj): Promise<Obj> {
    const r = await provider.update!(id, olds, news);
    return outputs(r.outs);
  },

  async delete(id: string, props: Obj): Promise<void> {
    await provider.delete!(id, props);
  },

  /** The functions of the schema: listAccessTokens, with the provider's own client (one login per run). */
  async invoke(tok: string, args: Obj): Promise<Obj> {
    if (tok !== LIST_ACCESS_TOKENS) throw new Error(`unknown function ${tok}; this provider serves ${LIST_ACCESS_TOKENS}`);
    const server = args.server === undefined || args.server === null || args.server === "" ? undefined : String(args.server);
    return plain({ tokens: await listTokensOf(client(server), readQuery(args)) });
  },
};

/** The core's `__inputs` from the stored inputs: their own after a read that gave the server's values, else what they declare. */
function declaredFrom(inputs: Obj): unknown {
  if (Object.keys(inputs).length === 0) return undefined;
  return inputs[DECLARED] ?? declaredOf(inputs as unknown as AccessTokenInputs);
}

export const LIST_ACCESS_TOKENS = "commvault:index:listAccessTokens";
