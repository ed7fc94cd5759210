/**
 * Dialogs a plugin asks the user (SillyTavern's `callGenericPopup`) and the UI's answers.
 * @module
 */

import { z } from "zod";
import { invalid } from "../../core/errors.ts";
import { DialogPayload } from "../../core/event-payloads.ts";
import { defineMethod } from "../method.ts";

const Result = z.union([z.number(), z.string().max(100_000), z.null()]);

/** The dialog methods. */
export const dialogMethods = [
  defineMethod({
    name: "callGenericPopup",
    summary: "Shows the user a dialog (SillyTavern's popup types: 1 text, 2 confirm, 3 input, 4 display) " +
      "in the web UI and resolves with the answer: 1 for OK / Yes, 0 for No, the text for an input, " +
      "null when cancelled or unanswered within options.timeoutMs (default 120 s, at most 10 min). " +
      "SillyTavern's other popup options are ignored.",
    params: z.tuple([
      z.string().max(100_000).meta({ title: "content" }),
      z.number().int().min(1).max(5).optional().meta({ title: "type" }),
      z.string().max(100_000).optional().meta({ title: "inputValue" }),
      z.looseObject({
        okButton: z.union([z.string().max(100), z.boolean()]).optional(),
        cancelButton: z.union([z.string().max(100), z.boolean()]).optional(),
        timeoutMs: z.number().int().min(100).max(600_000).optional(),
      }).optional().meta({ title: "popupOptions" }),
    ]),
    result: Result,
    capability: "plugin",
    example: [
      'const yes = await ctx.callGenericPopup("Delete the summary?", 2); // 1, 0 or null',
      'const name = await ctx.callGenericPopup("Name it:", 3, "draft");  // the text, or null',
    ].join("\n"),
    handler: ({ lodge, caller }, content, type, inputValue, options) => {
      if (type === 5) throw invalid("crop dialogs (POPUP_TYPE.CROP) need SillyTavern's page");
      const label = (value: unknown) => typeof value === "string" ? value : null;
      return lodge.dialogs.ask({
        owner: caller.kind === "plugin" ? caller.pluginId : "a tool",
        type: type ?? 1,
        content,
        inputValue: inputValue ?? "",
        okButton: label(options?.okButton),
        cancelButton: label(options?.cancelButton),
      }, options?.timeoutMs);
    },
  }),
  defineMethod({
    name: "dialogs.list",
    summary: "The dialogs waiting for the user, oldest first (the UI shows them when it connects).",
    params: z.tuple([]),
    result: z.array(DialogPayload),
    capability: "admin",
    handler: ({ lodge }) => lodge.dialogs.list(),
  }),
  defineMethod({
    name: "dialogs.answer",
    summary: "Answers an open dialog: 1 / 0 for OK / No, the text of an input, null for cancel.",
    params: z.tuple([z.string().min(1).max(64).meta({ title: "id" }), Result.meta({ title: "result" })]),
    result: z.null(),
    capability: "admin",
    handler: ({ lodge }, id, result) => {
      lodge.dialogs.answer(id, result);
      return null;
    },
  }),
];
