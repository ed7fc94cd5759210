/**
 * The tool-calling loop: the model asks for tools, they run, their results go back, until the model
 * answers without calls, a round ends the loop (a stealth tool ran), or the round budget is spent (then
 * one last request forbids tools). Model calls
 * and tool runs are callbacks, so the same loop serves `sendOpenAIRequest`, the generation pipeline and
 * tools whose action lives in a plugin worker.
 * @module
 */

import type { ChatMessage, Completion, ToolCall } from "./types.ts";

/** Rounds of tool runs allowed unless the caller says otherwise. */
export const DEFAULT_TOOL_ROUNDS = 5;

/** One tool run: the call, the text sent back, and whether the tool failed. */
export interface ToolRun {
  call: ToolCall;
  result: string;
  error: boolean;
}

/** Inputs of {@link runToolLoop}. */
export interface ToolLoopOptions {
  /** The conversation so far. */
  messages: ChatMessage[];
  /** One model call. `toolsAllowed` is false for the closing request after the last round. */
  request(messages: ChatMessage[], context: { round: number; toolsAllowed: boolean }): Promise<Completion>;
  /** Runs one call and resolves with the text for the model; a throw sends the error text instead. */
  execute(call: ToolCall, signal?: AbortSignal): Promise<string>;
  /** Rounds of tool runs before the model must answer. */
  maxRounds?: number;
  signal?: AbortSignal;
  /** Called after each round with its runs (e.g. to emit `TOOL_CALLS_PERFORMED`). */
  onRound?(runs: ToolRun[], round: number): void | Promise<void>;
  /**
   * Whether a round ends the loop with no follow-up request (a stealth tool ran, as in SillyTavern); the
   * result is then that round's completion, its calls included.
   */
  endsAfter?(runs: ToolRun[]): boolean;
}

/** What the loop produced. */
export interface ToolLoopResult {
  /** The model's final answer. */
  completion: Completion;
  /** The conversation including every call and result. */
  messages: ChatMessage[];
  /** Every tool run, in order. */
  runs: ToolRun[];
}

/** Runs the loop; see the module documentation. */
export async function runToolLoop(options: ToolLoopOptions): Promise<ToolLoopResult> {
  const maxRounds = options.maxRounds ?? DEFAULT_TOOL_ROUNDS;
  const messages = [...options.messages];
  const runs: ToolRun[] = [];
  for (let round = 0;; round++) {
    const toolsAllowed = round < maxRounds;
    const completion = await options.request(messages, { round, toolsAllowed });
    if (!toolsAllowed || !completion.toolCalls.length) return { completion, messages, runs };
    messages.push({
      role: "assistant",
      content: completion.content || null,
      tool_calls: completion.toolCalls,
    });
    const roundRuns: ToolRun[] = [];
    for (const call of completion.toolCalls) {
      options.signal?.throwIfAborted();
      let run: ToolRun;
      try {
        run = { call, result: await options.execute(call, options.signal), error: false };
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        run = {
          call,
          result: `Error: ${error instanceof Error ? error.message : String(error)}`,
          error: true,
        };
      }
      roundRuns.push(run);
      messages.push({ role: "tool", tool_call_id: call.id, name: call.function.name, content: run.result });
    }
    runs.push(...roundRuns);
    await options.onRound?.(roundRuns, round);
    if (options.endsAfter?.(roundRuns)) return { completion, messages, runs };
  }
}
