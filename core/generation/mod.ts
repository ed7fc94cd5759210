/**
 * The generation pipeline: the chat replies, with every hook, swipes, continue, impersonate, quiet,
 * groups, tools, takeover and traces. See `service.ts` for the hook order.
 * @module
 */

export {
  type GenerationDeps,
  GenerationService,
  type SendMessageOptions,
  type SendMessageResult,
} from "./service.ts";
export {
  ActivationStrategy,
  cardJoin,
  enabledMembers,
  GenerationMode,
  groupMembers,
  selectSpeakers,
} from "./groups.ts";
export { type Takeover, TakeoverRegistry, type TakeoverStatus } from "./takeover.ts";
export { type GenerationTrace, redact, TRACES_PER_CHAT } from "./trace.ts";
export {
  type GenerateOptions,
  GENERATION_TYPES,
  type GenerationResult,
  type GenerationType,
  type WrittenReply,
} from "./types.ts";
