import type * as dynamic from "@pulumi/pulumi/dynamic";
import { CommvaultError } from "../client/errors";
import { provider } from "./provider";
import { declaredOf, importedInputs } from "./mapping";
import type { AccessTokenInputs } from "../model/inputs";
import { parseResourceId, type AccessTokenState } from "../model/state";
import { resolveOwner } from "../connection/owner";
import { client, lister } from "../connection/runtime";

/**
 * `pulumi import` of `<userId>:<accessTokenId>` (the only place that parses an id, rulings 6):
 * the token as read by `read`, with no write, and the inputs of a program that declares it.
 * Its secret is not known (Commvault shows it only to its create): state holds none and says so
 * with `secretKnown: false`. A malformed id, an owner that does not exist, or a token that is not
 * that owner's fails with a message that says which.
 */
export async function importToken(id: string): Promise<Required<Pick<dynamic.ReadResult, "id" | "props" | "inputs">>> {
  const { userId, tokenId } = parseResourceId(id);
  const owner = await resolveOwner(client(), { userId }).catch((e: Error) => Promise.reject(new Error(`cannot import ${id}: ${e.message}`)));
  const read = await provider.read!(id, { userId, tokenId } as AccessTokenState);
  if (!read.id) throw new Error(await whyNotFound(id, owner.userId, owner.userName, tokenId));
  const props: AccessTokenState = { ...(read.props as AccessTokenState), userName: owner.userName, secretKnown: false };
  delete props.accessToken;
  delete props.refreshToken;
  const inputs = importedInputs(props);
  // What the program declares of the owner and lifetime, as a create records it, for later refreshes.
  props.__inputs = declaredOf(inputs as unknown as AccessTokenInputs);
  return { id: read.id, props, inputs };
}

/** Whose the token is, if not that owner's: the other users' lists, looked at only on this failure. */
async function whyNotFound(id: string, userId: number, userName: string | undefined, tokenId: number): Promise<string> {
  const who = `user ${userName ?? userId} (id ${userId})`;
  const users = await client().listUsers().catch(() => []);
  for (const u of users.filter((u) => u.userId !== userId)) {
    const found = await lister()
      .tokens(u.userId)
      .then((ts) => ts.find((t) => t.accessTokenId === tokenId))
      .catch((e: unknown) => (CommvaultError.isInstance(e) ? undefined : Promise.reject(e)));
    if (found) {
      return `cannot import ${id}: access token ${tokenId} ("${found.tokenName}") belongs to user ${u.userName} (id ${u.userId}), not to ${who}; import it as ${u.userId}:${tokenId}`;
    }
  }
  return `cannot import ${id}: ${who} has no access token with id ${tokenId}, and no other user the logged-in user can see has one; check the id in Command Center (the token's owner and id)`;
}
