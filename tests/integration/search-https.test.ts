/**
 * Page visits over https against loopback TLS servers whose certificates a test CA (made here with
 * openssl) signed: the CA is trusted only when the host is started with it (`visitCa`); an https URL
 * whose address is not allowed is refused before any connection; a redirect from https to a refused
 * address is refused by the same check; the byte and time caps hold over TLS.
 */

import assert from "node:assert/strict";
import { type VisitOptions, visitPage } from "../../core/search/mod.ts";
import { startTestHost } from "../support/host.ts";

/** Runs openssl in `dir`; throws with its output when it fails. */
async function openssl(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** A CA and a server certificate it signed for 127.0.0.1 and 127.0.0.2. */
async function makeCertificates(dir: string) {
  await openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=Lodge test CA",
  );
  await openssl(
    dir,
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  );
  await Deno.writeTextFile(`${dir}/san.ext`, "subjectAltName=IP:127.0.0.1,IP:127.0.0.2\n");
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "san.ext",
  );
  const read = (name: string) => Deno.readTextFile(`${dir}/${name}`);
  return { ca: await read("ca.pem"), cert: await read("server.pem"), key: await read("server.key") };
}

/** A TLS server on `hostname` that counts its requests. */
function startTls(hostname: string, tlsFiles: { cert: string; key: string }) {
  let hits = 0;
  let self = "";
  const server = Deno.serve({ hostname, port: 0, ...tlsFiles, onListen() {} }, async (req) => {
    hits++;
    const url = new URL(req.url);
    const html = (body: string) => new Response(body, { headers: { "content-type": "text/html" } });
    switch (url.pathname) {
      case "/page":
        return html(
          "<html><head><title>Over TLS</title></head><body><p>Encrypted &amp; checked.</p></body></html>",
        );
      case "/long":
        return html(`<title>Long</title><p>${"word ".repeat(20_000)}</p>`);
      case "/slow":
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        return html("<p>late</p>");
      case "/to-page":
        return new Response(null, { status: 301, headers: { location: "/page" } });
      case "/to-other-loopback":
        return new Response(null, {
          status: 302,
          headers: { location: `${self.replace(hostname, "127.0.0.2")}/page` },
        });
      case "/to-metadata":
        return new Response(null, { status: 302, headers: { location: "https://169.254.169.254/latest/" } });
    }
    return new Response("not here", { status: 404 });
  });
  self = `https://${hostname}:${server.addr.port}`;
  return { server, base: self, hits: () => hits };
}

Deno.test("https visits: trusted CA only by option, the address check on every hop, caps over TLS", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lodge-tls-" });
  const { ca, cert, key } = await makeCertificates(dir);
  const web = startTls("127.0.0.1", { cert, key });
  const other = startTls("127.0.0.2", { cert, key }); // a refused address that would answer
  const base: VisitOptions = {
    maxChars: 4_000,
    maxBytes: 2_000_000,
    timeoutMs: 10_000,
    maxRedirects: 5,
    allowPrivate: false,
    allowAddresses: ["127.0.0.1"],
    ca: [ca],
  };
  try {
    await t.step("with the test CA, a page over https is read and redirects are followed", async () => {
      const page = await visitPage(`${web.base}/to-page`, base);
      assert.equal(page.title, "Over TLS");
      assert.equal(page.text, "Encrypted & checked.");
      assert.equal(page.url, `${web.base}/page`);
    });

    await t.step("without the option the test CA is not trusted", async () => {
      const hits = web.hits();
      await assert.rejects(visitPage(`${web.base}/page`, { ...base, ca: undefined }), (e: Error) => {
        assert.match(e.message, /failed/);
        return true;
      });
      assert.ok(web.hits() === hits, "no request got through an untrusted handshake");
    });

    await t.step("an https URL at an address not allowed is refused before connecting", async () => {
      const hits = web.hits();
      await assert.rejects(
        visitPage(`${web.base}/page`, { ...base, allowAddresses: [] }),
        (e: Error) => /loopback/.test(e.message),
      );
      await assert.rejects(visitPage("https://10.0.0.1/", base), (e: Error) => /private/.test(e.message));
      assert.equal(web.hits(), hits);
    });

    await t.step("a redirect from https to a refused address is refused by the same check", async () => {
      await assert.rejects(visitPage(`${web.base}/to-other-loopback`, base), (e: Error) => {
        assert.match(e.message, /127\.0\.0\.2/);
        return true;
      });
      assert.equal(other.hits(), 0, "the refused server was never contacted");
      await assert.rejects(
        visitPage(`${web.base}/to-metadata`, base),
        (e: Error) => /169\.254/.test(e.message),
      );
    });

    await t.step("the byte and time caps hold over TLS", async () => {
      const long = await visitPage(`${web.base}/long`, { ...base, maxBytes: 2_000 });
      assert.equal(long.truncated, true);
      assert.ok(long.text.length < 2_000);
      const started = performance.now();
      await assert.rejects(
        visitPage(`${web.base}/slow`, { ...base, timeoutMs: 300 }),
        (e: Error) => /took over 300 ms/.test(e.message),
      );
      assert.ok(performance.now() - started < 2_500, "the visit gave up at its deadline");
    });

    await t.step("the host trusts the CA it was started with, for /api/plugins/search/visit", async () => {
      for (const visitCa of [[ca], undefined]) {
        const host = await startTestHost({ visitCa });
        try {
          await host.host.lodge.settings.patch([
            { op: "add", path: "/extension_settings", value: { search: { allow_addresses: ["127.0.0.1"] } } },
          ]);
          const res = await host.post("/api/plugins/search/visit", { url: `${web.base}/page` });
          if (visitCa) assert.deepEqual([res.status, res.body.title], [200, "Over TLS"]);
          else assert.notEqual(res.status, 200, "a host started without the CA does not trust it");
        } finally {
          await host.close();
        }
      }
    });
  } finally {
    await web.server.shutdown();
    await other.server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
