/**
 * SillyTavern's token routes Lodge's encodings answer (`/api/tokenizers/openai/count|encode|decode`,
 * `?model=` picking the encoding), in SillyTavern's shapes, against a real host: the same numbers as the
 * tokenizer module and the `tokenizers.*` methods, bad bodies refused, the other tokenizers not served.
 */

import assert from "node:assert/strict";
import { createSocketClient } from "../../rpc/client.ts";
import { countTokensAsync } from "../../core/tokens/mod.ts";
import { startTestHost } from "../support/host.ts";

Deno.test("/api/tokenizers/openai/*: counts, ids and text in SillyTavern's shapes", async (t) => {
  const h = await startTestHost();
  const client = await createSocketClient(`${h.url}/rpc`, { token: h.token });
  try {
    await t.step("count: 3 per message, each string field, 1 per name, 3 for the reply", async () => {
      const messages = [
        { role: "system", content: "You are Mira." },
        { role: "user", content: "Hello there", name: "Ann" },
      ];
      const tokens = (text: string) => countTokensAsync(text, { model: "gpt-4o" });
      let expected = 3;
      for (const m of messages) {
        expected += 3;
        for (const value of Object.values(m)) expected += await tokens(value);
      }
      expected += 1; // the name
      const res = await h.post("/api/tokenizers/openai/count?model=gpt-4o", messages);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { token_count: expected });
      assert.equal(await client.call("tokenizers.count", messages, { model: "gpt-4o" }), expected);
      const empty = await h.post("/api/tokenizers/openai/count?model=gpt-4o", []);
      assert.deepEqual(empty.body, { token_count: 3 });
    });

    await t.step(
      "encode and decode: the model picks the encoding, chunks are each token's text",
      async () => {
        const text = "Hello there, <|endoftext|> héllo";
        const o200k = await h.post("/api/tokenizers/openai/encode?model=gpt-4o", { text });
        const cl100k = await h.post("/api/tokenizers/openai/encode?model=gpt-4-turbo", { text });
        assert.equal(o200k.status, 200, JSON.stringify(o200k.body));
        assert.deepEqual(o200k.body.ids.slice(0, 2), [13225, 1354], "o200k_base for gpt-4o");
        assert.notDeepEqual(o200k.body.ids, cl100k.body.ids, "cl100k_base for gpt-4-turbo");
        for (const res of [o200k, cl100k]) {
          assert.equal(res.body.count, res.body.ids.length);
          assert.equal(res.body.chunks.length, res.body.ids.length);
          assert.equal(res.body.chunks.join(""), text, "special-token text is read as text");
        }
        assert.deepEqual(
          await client.call("tokenizers.encode", text, { model: "gpt-4o" }),
          { ids: o200k.body.ids, chunks: o200k.body.chunks },
        );
        const back = await h.post("/api/tokenizers/openai/decode?model=gpt-4o", { ids: o200k.body.ids });
        assert.deepEqual(back.body, { text });
        assert.equal(await client.call("tokenizers.decode", o200k.body.ids, { model: "gpt-4o" }), text);
        // without ?model the live connection's model picks
        const live = await h.post("/api/tokenizers/openai/encode", { text: "Hello" });
        assert.equal(live.status, 200);
        assert.equal(live.body.count, 1);
      },
    );

    await t.step("bad input is refused naming the problem; other tokenizers are not served", async () => {
      const notToken = await h.post("/api/tokenizers/openai/decode?model=gpt-4o", { ids: [999_999_999] });
      assert.equal(notToken.status, 400);
      assert.match(JSON.stringify(notToken.body), /not a token of o200k_base/);
      await assert.rejects(
        client.call("tokenizers.decode", [999_999_999], { model: "gpt-4o" }),
        /not a token of o200k_base/,
      );
      const notArray = await h.post("/api/tokenizers/openai/count", { role: "user" });
      assert.equal(notArray.status, 400);
      const badIds = await h.post("/api/tokenizers/openai/decode", { ids: ["a"] });
      assert.equal(badIds.status, 400);
      const llama = await h.post("/api/tokenizers/llama/encode", { text: "x" });
      assert.equal(llama.status, 404);
    });
  } finally {
    await client.close();
    await h.close();
  }
});
