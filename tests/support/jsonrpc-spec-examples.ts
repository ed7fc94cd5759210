/**
 * The examples of the JSON-RPC 2.0 specification (section 7), as request text and the exact response
 * expected (`null`: nothing is sent back). By-name params are left out: Lodge methods are positional,
 * which `rpc-dispatcher.test.ts` checks separately.
 * @module
 */

/** One example. */
export interface SpecExample {
  name: string;
  request: string;
  response: unknown;
}

const invalidRequest = { jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request" }, id: null };

/** Every example, in the order of the specification. */
export const specExamples: SpecExample[] = [
  {
    name: "positional parameters",
    request: `{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}`,
    response: { jsonrpc: "2.0", result: 19, id: 1 },
  },
  {
    name: "positional parameters, swapped",
    request: `{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}`,
    response: { jsonrpc: "2.0", result: -19, id: 2 },
  },
  {
    name: "a notification",
    request: `{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}`,
    response: null,
  },
  {
    name: "a notification of a missing method",
    request: `{"jsonrpc": "2.0", "method": "foobar"}`,
    response: null,
  },
  {
    name: "non-existent method",
    request: `{"jsonrpc": "2.0", "method": "foobar", "id": "1"}`,
    response: { jsonrpc: "2.0", error: { code: -32601, message: "Method not found" }, id: "1" },
  },
  {
    name: "invalid JSON",
    request: `{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]`,
    response: { jsonrpc: "2.0", error: { code: -32700, message: "Parse error" }, id: null },
  },
  {
    name: "invalid request object",
    request: `{"jsonrpc": "2.0", "method": 1, "params": "bar"}`,
    response: invalidRequest,
  },
  {
    name: "batch, invalid JSON",
    request: `[
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method"
]`,
    response: { jsonrpc: "2.0", error: { code: -32700, message: "Parse error" }, id: null },
  },
  {
    name: "empty array",
    request: `[]`,
    response: invalidRequest,
  },
  {
    name: "non-empty invalid batch",
    request: `[1]`,
    response: [invalidRequest],
  },
  {
    name: "invalid batch",
    request: `[1,2,3]`,
    response: [invalidRequest, invalidRequest, invalidRequest],
  },
  {
    name: "mixed batch",
    request: `[
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
  {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
  {"foo": "boo"},
  {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
  {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
]`,
    response: [
      { jsonrpc: "2.0", result: 7, id: "1" },
      { jsonrpc: "2.0", result: 19, id: "2" },
      invalidRequest,
      { jsonrpc: "2.0", error: { code: -32601, message: "Method not found" }, id: "5" },
      { jsonrpc: "2.0", result: ["hello", 5], id: "9" },
    ],
  },
  {
    name: "batch of notifications only",
    request: `[
  {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
  {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
]`,
    response: null,
  },
];
