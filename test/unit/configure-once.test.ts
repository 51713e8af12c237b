import type * as dynamic from "@pulumi/pulumi/dynamic";
import { provider } from "../../provider/lifecycle/provider";
import { runStart } from "../../provider/connection/runtime";

/**
 * The dynamic provider host configures the provider once per distinct `__provider` text, with the
 * one configuration object of its run. State written before issue 22 holds a longer text than the
 * program now sends, so one run meets both: the second configure is the same run, and must not
 * forget what the run knows (its start, its claims, its lists). A new configuration object (a new
 * host, or a test's own call) is a new run.
 */
function request(raw: Record<string, string>): dynamic.ConfigureRequest {
  return { config: { rawConfig: raw, get: (k: string) => raw[k], require: (k: string) => raw[k]! } } as unknown as dynamic.ConfigureRequest;
}

describe("configure, once per run of the dynamic provider host", () => {
  const saved = process.env.COMMVAULT_TOKENS_NOW;
  afterAll(() => {
    if (saved === undefined) delete process.env.COMMVAULT_TOKENS_NOW;
    else process.env.COMMVAULT_TOKENS_NOW = saved;
  });

  test("a second configure with the host's same configuration keeps the run; a new configuration starts one", async () => {
    const raw = { "commvault:url": "https://cs.example.com/commandcenter/api" };
    process.env.COMMVAULT_TOKENS_NOW = "2026-12-01T00:00:00Z";
    await provider.configure!(request(raw));
    const first = runStart();
    process.env.COMMVAULT_TOKENS_NOW = "2026-12-01T01:00:00Z";
    await provider.configure!(request(raw));
    expect(runStart()).toBe(first);
    await provider.configure!(request({ ...raw }));
    expect(runStart()).toBe(first + 3600);
  });
});
