import assert from "node:assert/strict";
import {
  countMessageTokens,
  countTokens,
  countTokensAsync,
  decodeTokens,
  encodeText,
  encodingForModel,
  estimateTokens,
  isTokenizerReady,
  loadTokenizer,
  tokenizerOf,
} from "../../core/tokens/mod.ts";

Deno.test("the estimate is SillyTavern's ceil(characters / 3.35)", () => {
  assert.equal(estimateTokens("Hello there"), 4);
  assert.equal(countTokens("x".repeat(335), { tokenizer: 0 }), 100);
  assert.equal(countTokens("x".repeat(336), { tokenizer: 0, model: "gpt-4o" }), 101);
  assert.equal(countTokens("", { tokenizer: 0 }), 0);
  assert.equal(countMessageTokens({ role: "user", content: "x".repeat(10) }, { tokenizer: 0 }), 3);
});

Deno.test("models pick their OpenAI encoding", () => {
  for (const m of ["gpt-4o", "gpt-4o-mini", "chatgpt-4o-latest", "o1-mini", "o3", "gpt-4.1-nano", "gpt-5"]) {
    assert.equal(encodingForModel(m), "o200k_base", m);
  }
  for (const m of ["gpt-4", "gpt-4-turbo", "gpt-3.5-turbo", "lodge-offline", "claude-3-opus", ""]) {
    assert.equal(encodingForModel(m), "cl100k_base", m);
  }
  assert.deepEqual(tokenizerOf({ power_user: { tokenizer: 0 } }, "gpt-4o"), {
    tokenizer: 0,
    model: "gpt-4o",
  });
  assert.deepEqual(tokenizerOf({}, "gpt-4o"), { model: "gpt-4o" });
});

Deno.test("BPE counts are synchronous once loaded and match OpenAI's encodings", async () => {
  const gpt4o = { model: "gpt-4o" };
  if (!isTokenizerReady(gpt4o)) assert.throws(() => countTokens("hi", gpt4o), /still loading/);
  assert.equal(await countTokensAsync("Hello there", gpt4o), 2);
  await loadTokenizer({ model: "gpt-4" });
  assert.equal(countTokens("hello world", { model: "gpt-4" }), 2);
  assert.equal(countTokens("antidisestablishmentarianism", { model: "gpt-4" }), 6);
  // OpenAI's message overhead: 3 per message, role, content, name + 1
  assert.equal(countMessageTokens({ role: "user", content: "Hello there" }, gpt4o), 3 + 1 + 2);
  assert.equal(
    countMessageTokens({ role: "user", content: "Hello there", name: "Ann" }, gpt4o),
    3 + 1 + 2 + 1 + 1,
  );
});

Deno.test("special-token text counts and encodes as plain text", async () => {
  const gpt4 = { model: "gpt-4" };
  // the encodings refuse "<|endoftext|>" unless told to read it as text; a chat may well hold it
  const count = await countTokensAsync("a <|endoftext|> b", gpt4);
  assert.ok(count > 3, String(count));
  const { ids, chunks } = await encodeText("a <|endoftext|> b", "gpt-4");
  assert.equal(ids.length, count);
  assert.ok(!ids.includes(100257), "not the special token's id");
  assert.equal(chunks.join(""), "a <|endoftext|> b");
  assert.equal(await decodeTokens(ids, "gpt-4"), "a <|endoftext|> b");
  await assert.rejects(decodeTokens([-1], "gpt-4"), /not a token of cl100k_base/);
});
