import type * as dynamic from "@pulumi/pulumi/dynamic";
import { isSealed, sealed } from "../model/envelope";
import { DECLARED } from "./mapping";
import { provider } from "./provider";

/**
 * The provider as the dynamic provider host loads it (provider.js): the one core, with its state
 * translated at the door. The token's two secrets are kept as one secret value, `__secrets`
 * ({ accessToken, refreshToken }), instead of two: the engine encrypts and encodes every secret of
 * every token again each time it saves the state file, which it does after each step of a run, so
 * each secret costs time that grows with the square of the stack's size (docs/benchmarks.md). The
 * SDK's AccessToken reads accessToken and refreshToken out of it (and out of state written before,
 * which keeps them apart: the door reads both). The plugin's state is the core's, unchanged: its
 * SDKs read each output by its own name.
 *
 * The engine's time at each save follows the count of keys in each token's state more than its
 * bytes, so the door keeps two more out of it. It hands the pair to the engine in the secret
 * envelope itself, which the engine keeps secret for any provider, so the resource needs no
 * `additionalSecretOutputs` (stored with every token). And the core's `__inputs` (what the
 * program declares of the owner and lifetime, which only read uses) travels inside the sealed
 * value, whose keys the engine never sees: one encrypted string either way.
 */
export const SECRET_PAIR = "__secrets";

type State = Record<string, unknown>;

/**
 * The state as the engine stores it: the secrets, when there are any, as one secret value, with
 * `__inputs` inside it unless `declaredApart` (state written before, whose layout a refresh keeps).
 */
export function packSecrets<T>(state: T, declaredApart = false): T {
  const s = state as State | undefined;
  if (!s || typeof s !== "object" || (s.accessToken === undefined && s.refreshToken === undefined)) return state;
  const { accessToken, refreshToken, ...rest } = s;
  const pair: State = {};
  if (accessToken !== undefined) pair.accessToken = accessToken;
  if (refreshToken !== undefined) pair.refreshToken = refreshToken;
  if (!declaredApart && rest[DECLARED] !== undefined) {
    pair[DECLARED] = rest[DECLARED];
    delete rest[DECLARED];
  }
  return { ...rest, [SECRET_PAIR]: sealed(pair) } as T;
}

/**
 * The state as the core reads it: the secrets under their own names, from either form. The engine
 * sends the pair plain (the dynamic provider host does not accept secrets); an envelope is opened.
 */
export function unpackSecrets<T>(state: T): T {
  const s = state as State | undefined;
  const held = s?.[SECRET_PAIR];
  const pair = isSealed(held) ? held.value : held;
  if (!s || pair === null || typeof pair !== "object") return state;
  const { [SECRET_PAIR]: _pair, ...rest } = s;
  return { ...rest, ...(pair as State) } as T;
}

export const dynamicProvider: dynamic.ResourceProvider = {
  configure: (req) => provider.configure!(req),
  check: (olds, news) => provider.check!(olds, news),
  diff: (id, olds, news) => provider.diff!(id, unpackSecrets(olds), news),
  async create(inputs) {
    const r = await provider.create(inputs);
    return { ...r, outs: packSecrets(r.outs) };
  },
  async read(id, props) {
    const r = await provider.read!(id, unpackSecrets(props));
    // A refresh keeps the layout the state had. State written before keeps the pair apart, each
    // secret by the program's additionalSecretOutputs of its day, which a refresh does not see:
    // the engine keeps them secret after a read because they were secret in the old state. They
    // stay apart until the token's next create or update stores them as one sealed value. So does
    // an `__inputs` that state of the version before keeps beside the pair: moving it would be a
    // change of every token at its first refresh.
    if (r.props === undefined || !(SECRET_PAIR in (props as State))) return r;
    return { ...r, props: packSecrets(r.props, DECLARED in (props as State)) };
  },
  async update(id, olds, news) {
    const r = await provider.update!(id, unpackSecrets(olds), news);
    return { ...r, outs: packSecrets(r.outs) };
  },
  delete: (id, props) => provider.delete!(id, unpackSecrets(props)),
};
