/**
 * The model services a host adds to its `Lodge`: presets, connection profiles, secrets, the tool
 * registry, LLM requests and the connection status, built together so each gets the others it needs.
 * @module
 */

import { ConnectionProfiles } from "../connection-profiles.ts";
import type { EventBus } from "../events.ts";
import { PresetService } from "../presets.ts";
import { Secrets } from "../secrets.ts";
import type { Store } from "../store.ts";
import { ToolRegistry } from "../tools.ts";
import { type LlmOptions, LlmService } from "./service.ts";
import { ConnectionStatus } from "./status.ts";

/** The model services, as fields of the same names on a `Lodge`. */
export interface ModelServices {
  presets: PresetService;
  connections: ConnectionProfiles;
  secrets: Secrets;
  tools: ToolRegistry;
  llm: LlmService;
  /** Whether the live connection answers (`online_status`). */
  connectionStatus: ConnectionStatus;
}

/**
 * Builds the model services over a store and an event bus. Secrets go to `<dataDir>/secrets.json`;
 * `dataDir` `null` (an in-memory store) keeps them in memory.
 */
export function createModelServices(
  store: Store,
  events: EventBus,
  dataDir: string | null,
  options: LlmOptions = {},
): ModelServices {
  const presets = new PresetService(store, events);
  const connections = new ConnectionProfiles(store, events, presets);
  const secrets = new Secrets(dataDir, events);
  const tools = new ToolRegistry(events);
  const llm = new LlmService({ presets, connections, secrets, tools, events }, options);
  const connectionStatus = new ConnectionStatus({ llm, presets, events });
  return { presets, connections, secrets, tools, llm, connectionStatus };
}
