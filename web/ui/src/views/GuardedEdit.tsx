/**
 * Editors of a stored record (a character card, a group) that never overwrite a change made elsewhere:
 * the draft remembers the record it started from; a save sends only the fields the user changed, each
 * guarded by an RFC 6902 `test` of the value the form showed, so the host refuses it (409, nothing
 * stored) when a plugin, a tool or another window changed that field meanwhile. While the form is open a
 * change to the same record shows a notice offering the stored version or a deliberate overwrite.
 * @module
 */

import { type Signal, useSignal } from "@preact/signals";
import { useRef } from "preact/hooks";
import { deepEqual, escapeSegment } from "../../../../core/json.ts";
import type { PatchOp } from "../../../../core/patch.ts";
import { HostError } from "../api.ts";
import { toast } from "../state.ts";

/** The top-level keys whose values differ between two field sets (keys of `after` only). */
export function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return Object.keys(after).filter((k) => !deepEqual(before[k], after[k]));
}

/**
 * `test` ops asserting that each `path` (segments from the record's root) still holds the value it has in
 * `seen`; a path `seen` lacks is not tested (RFC 6902 has no test for absence).
 */
export function seenTests(seen: Record<string, unknown>, paths: string[][]): PatchOp[] {
  const ops: PatchOp[] = [];
  for (const segments of paths) {
    let node: unknown = seen;
    for (const s of segments) {
      node = node && typeof node === "object" && Object.hasOwn(node, s)
        ? (node as Record<string, unknown>)[s]
        : undefined;
    }
    if (node !== undefined) {
      ops.push({ op: "test", path: segments.map((s) => `/${escapeSegment(s)}`).join(""), value: node });
    }
  }
  return ops;
}

/** What {@link useGuardedEdit} gives an editor. */
export interface GuardedEdit<R, D> {
  /** The form's values. */
  draft: Signal<D>;
  /** The stored record the draft started from (what the user last saw). */
  seen: R | undefined;
  /** True when the stored record differs from {@link seen} in what the form shows, or a save was refused. */
  changedElsewhere: boolean;
  /** True when the record the draft started from is gone (deleted elsewhere). */
  deleted: boolean;
  /**
   * Runs a save: `send` gets the record the draft started from (`base`: what the user changed is the
   * draft's difference from it) and the one the save is guarded by (`seen`: the same, or after a
   * deliberate overwrite the stored version then), and answers the stored record after it (undefined
   * when nothing was sent); a 409 keeps the draft and says so.
   */
  save(send: (records: { base: R; seen: R }) => Promise<R | undefined>, what: string): Promise<void>;
  /** Shows the stored version (the draft is dropped). */
  load(): void;
  /**
   * Takes the stored version as the one the next save is guarded by, keeping the draft, so that save
   * writes the fields the user changed over it.
   */
  overwrite(): void;
}

/**
 * The draft of a record that live updates may change underneath: `record` is the stored version as the
 * mirror has it now, `draftOf` turns a record into form values.
 */
export function useGuardedEdit<R, D>(
  record: R | undefined,
  draftOf: (r: R | undefined) => D,
): GuardedEdit<R, D> {
  const base = useSignal(record);
  const seen = useSignal(record);
  const draft = useSignal(draftOf(record));
  const refused = useSignal(false);
  // the page's own save changes the record before its answer arrives: not a change made elsewhere
  const saving = useRef(false);
  const changedElsewhere = record !== undefined && seen.value !== undefined && !saving.current &&
    (refused.value || !deepEqual(draftOf(record), draftOf(seen.value)));
  return {
    draft,
    seen: seen.value,
    changedElsewhere,
    deleted: record === undefined && seen.value !== undefined,
    save: async (send, what) => {
      if (seen.value === undefined || base.value === undefined) return;
      saving.current = true;
      try {
        const stored = await send({ base: base.value, seen: seen.value });
        if (stored === undefined) return;
        base.value = stored;
        seen.value = stored;
        draft.value = draftOf(stored);
        refused.value = false;
      } catch (error) {
        if (!(error instanceof HostError && error.status === 409)) throw error;
        refused.value = true;
        const path = typeof error.body?.path === "string" ? error.body.path.slice(1) : "";
        toast(
          `Nothing was saved: ${path ? `the field "${path}" of ${what}` : what} was changed elsewhere (a ` +
            "plugin, a tool or another window) while you edited it. Your draft is still in the form: load " +
            "the stored version or overwrite it with your draft.",
          "error",
        );
      } finally {
        saving.current = false;
      }
    },
    load: () => {
      base.value = record;
      seen.value = record;
      draft.value = draftOf(record);
      refused.value = false;
    },
    overwrite: () => {
      seen.value = record;
      refused.value = false;
    },
  };
}

/** The notice an editor shows while its record was changed or deleted elsewhere. */
export function ChangedElsewhere(
  { what, edit, onOverwrite }: {
    what: string;
    edit: Pick<GuardedEdit<unknown, unknown>, "changedElsewhere" | "deleted" | "load" | "overwrite">;
    onOverwrite: () => void;
  },
) {
  if (edit.deleted) {
    return (
      <div class="notice" role="alert">
        <span class="grow">
          {what}{" "}
          was deleted elsewhere (a plugin, a tool or another window). Create makes it again from your draft.
        </span>
      </div>
    );
  }
  if (!edit.changedElsewhere) return null;
  return (
    <div class="notice" role="alert">
      <span class="grow">
        {what}{" "}
        was changed elsewhere (a plugin, a tool or another window) since you opened it. Saving keeps those
        changes in the fields you did not edit and refuses a field changed on both sides.
      </span>
      <button type="button" onClick={() => edit.load()}>Load the stored version</button>
      <button
        type="button"
        class="danger"
        onClick={() => {
          edit.overwrite();
          onOverwrite();
        }}
      >
        Overwrite with my draft
      </button>
    </div>
  );
}
