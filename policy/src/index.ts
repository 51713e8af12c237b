/**
 * The commvault-tokens policy pack: token hygiene for Commvault access tokens.
 *
 *   pulumi preview --policy-pack <this folder>/pack [--policy-pack-config policy-config.json]
 *
 * `pack` is an executable that the engine launches directly (see README.md for why, and for the
 * folder form that a Pulumi install with a current Node.js language host also accepts).
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("commvault-tokens", { policies });
