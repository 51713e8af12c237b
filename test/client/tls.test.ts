import { clientFor } from "../helpers/client";
import { useEmulator } from "../helpers/emulator";
import { selfSignedCert } from "../helpers/tls";
import { resolveSettings } from "../../provider/connection/config";

const tls = selfSignedCert();

describe("client: TLS", () => {
  const h = useEmulator({ tls: { key: tls.key, cert: tls.cert } });

  test("the emulator serves HTTPS", () => {
    expect(h.running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/commandcenter\/api$/);
  });

  test("an untrusted certificate is refused by default, with the settings that fix it, and not retried", async () => {
    const { client, rec } = clientFor(h);
    await expect(client.whoAmI()).rejects.toMatchObject({
      kind: "tls",
      message: expect.stringMatching(/TLS handshake failed.*commvault:caBundle.*commvault:insecureSkipVerify/),
    });
    expect(rec.retries).toEqual([]);
  });

  test("a CA bundle, as PEM text or a file named in config, makes it trusted", async () => {
    expect((await clientFor(h, { caBundle: tls.cert }).client.whoAmI()).userName).toBe("admin");
    const fromFile = resolveSettings({ url: h.running.url, username: "admin", password: "admin-password", caBundle: tls.certFile }, {});
    expect(fromFile.caBundle).toBe(tls.cert);
    expect((await clientFor(h, fromFile).client.whoAmI()).userName).toBe("admin");
  });

  test("insecureSkipVerify skips verification", async () => {
    expect((await clientFor(h, { insecureSkipVerify: true }).client.whoAmI()).userName).toBe("admin");
  });
});
