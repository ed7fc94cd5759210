/**
 * Web search tools: registers `luker_web_search` and `luker_web_visit` as function tools of the chat and
 * offers them to every plugin as the extension API `searchTools` (read as `Luker.searchTools`). The host
 * performs the search and the page fetch (`search.search`, `search.visit`), so this plugin needs no `net`
 * grant; a visit refuses non-public addresses unless the user allowed them.
 * @module
 */

const ctx = Luker.getContext();

const toolNames = Object.freeze({ SEARCH: "luker_web_search", VISIT: "luker_web_visit" });

const defs = [
  {
    name: toolNames.SEARCH,
    displayName: "Web Search",
    description: "Searches the web and returns result titles, URLs and snippets.",
    parameters: {
      type: "object",
      properties: {
        query: { type: "string", description: "What to search for" },
        max_results: {
          type: "integer",
          minimum: 1,
          maximum: 20,
          description: "How many results (default 5)",
        },
        time_range: { type: "string", enum: ["day", "week", "month", "year"] },
        region: { type: "string", description: "Language or region code such as en-US" },
      },
      required: ["query"],
    },
  },
  {
    name: toolNames.VISIT,
    displayName: "Visit Page",
    description: "Reads a web page and returns its title and readable text.",
    parameters: {
      type: "object",
      properties: {
        url: { type: "string", description: "The page address (http or https)" },
        max_chars: { type: "integer", minimum: 100, maximum: 200000, description: "Characters of text" },
      },
      required: ["url"],
    },
  },
];

/** @param {{ query: string }} args */
const search = (args) => ctx.search.search(args);
/** @param {{ url: string }} args */
const visit = (args) => ctx.search.visit(args);

/**
 * Runs a search tool by name, as the chat's tool loop would.
 * @param {string} name
 * @param {object} args
 */
function invoke(name, args) {
  if (name === toolNames.SEARCH) return search(args);
  if (name === toolNames.VISIT) return visit(args);
  throw new Error(`not a search tool: ${name}`);
}

for (const def of defs) {
  await ctx.registerFunctionTool({
    ...def,
    action: async (args) => JSON.stringify(await invoke(def.name, args)),
    formatMessage: (args) =>
      def.name === toolNames.SEARCH ? `Searching: ${args?.query}` : `Reading ${args?.url}`,
  });
}

ctx.registerExtensionApi("searchTools", {
  getToolDefs: () => defs.map((d) => structuredClone(d)),
  isToolName: (name) => name === toolNames.SEARCH || name === toolNames.VISIT,
  invoke,
  search,
  visit,
});
