export { AccessToken, type AccessTokenAdopt, type AccessTokenArgs, type AccessTokenRotation, type AccessTokenScope, type PreviousAccessToken } from "./access-token";
export { listAccessTokens, type ListAccessTokensArgs, type ListedAccessToken } from "./functions";
