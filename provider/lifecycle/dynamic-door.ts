import type * as dynamic from "@pulumi/pulumi/dynamic";
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
 */
export const SECRET_PAIR = "__secrets";

type State = Record<string, unknown>;

/** The state as the engine stores it: the secrets, when there are any, as one value. */
export function packSecrets<T>(state: T): T {
  const s = state as State | undefined;
  if (!s || typeof s !== "object" || (s.accessToken === undefined && s.refreshToken === undefined)) return state;
  const { accessToken, refreshToken, ...rest } = s;
  const pair: State = {};
  if (accessToken !== undefined) pair.accessToken = accessToken;
  if (refreshToken !== undefined) pair.refreshToken = refreshToken;
  return { ...rest, [SECRET_PAIR]: pair } as T;
}

/** The state as the core reads it: the secrets under their own names, from either form. */
export function unpackSecrets<T>(state: T): T {
  const s = state as State | undefined;
  const pair = s?.[SECRET_PAIR];
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
    // A refresh keeps the layout the state had. After a read the engine marks secret only the keys
    // that were secret in the old state (not the program's additionalSecretOutputs, which a
    // refresh does not see), so a pair that state written before keeps apart stays apart, and
    // secret, until the token's next create or update stores it as one value.
    if (r.props === undefined || !(SECRET_PAIR in (props as State))) return r;
    return { ...r, props: packSecrets(r.props) };
  },
  async update(id, olds, news) {
    const r = await provider.update!(id, unpackSecrets(olds), news);
    return { ...r, outs: packSecrets(r.outs) };
  },
  delete: (id, props) => provider.delete!(id, unpackSecrets(props)),
};
