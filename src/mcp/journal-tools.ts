/**
 * The tools `lore mcp` serves, each the command of the same name:
 *
 *   record_failure, record_heuristic   lore record-failure, record-heuristic
 *   search, query, context             lore search, query, context (read-only)
 *   validate, violate, golden          lore validate, violate, golden
 *
 *   registerJournalTools(server, served, relay);   // on an McpServer, before connect
 *
 * The record tools check their input here, then send the call on to the
 * server that leads the journal's relay (record-relay.ts), which records it
 * in its own queue and answers with the JSON it made; where none answers,
 * the call is recorded here, under the lore id it was given, so that it is
 * recorded once (txn/record-batch.ts `persist`).
 *
 * Each tool checks its input with the command's own rules (record/inputs.ts,
 * read/query-input.ts, the feedback and golden requests), runs the same
 * writer or reader, and answers with the same JSON as the command's `--json`
 * (`lore query`: `--format json`), made by the same functions
 * (cli/record-command.ts recordJson, read/search-output.ts searchAnswer,
 * the briefing's json, cli/feedback-command.ts feedbackJson,
 * cli/golden-command.ts goldenJson), as one compact text content. A record
 * or change made whose git commit failed is no error (a retry would record it
 * twice): the JSON has `commit` null and a second text says why and what to
 * do, as the command's stderr does when it exits 5.
 *
 * Input: the schemas give each field's JSON type, and are kept short (the
 * whole `tools/list` stays under 1,500 tokens: test/mcp.test.ts): strings
 * as on the command line, numbers also as numbers. A value of the wrong type
 * is the SDK's input error; every rule beyond the type is lore's, and a call
 * that breaks one is a tool error (`isError: true`) whose one text is the
 * command's one-line message naming the field (InvalidFieldError: `title:
 * must be one line`), with nothing written. Field names are the command's
 * flags (`max-tokens`), so that the message names what the caller sent. The
 * record tools read no FAILURE_* or HEURISTIC_* variable of the server's
 * environment: a call gives all its fields.
 *
 * Annotations: the readers are `readOnlyHint: true`; the writers
 * `readOnlyHint: false`, the records and verdicts additive
 * (`destructiveHint: false`), golden `idempotentHint: true` (promoting a
 * golden rule again changes nothing) and destructive (a demotion takes a rule
 * out of golden-rules.md). None reaches beyond the journal
 * (`openWorldHint: false`).
 * Design: docs/DESIGN.md#the-mcp-server
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { InvalidFieldError, messageFor, quoted } from "../base/errors.js";
import { feedbackRequest, type FeedbackVerdict, recordFeedback } from "../feedback/record-feedback.js";
import { resolveFailureInput, resolveHeuristicInput } from "../record/inputs.js";
import { draftFailure } from "../record/record-failure.js";
import { draftHeuristic } from "../record/record-heuristic.js";
import { buildContext } from "../read/context.js";
import { answerQuery } from "../read/query-answer.js";
import {
  contextInput,
  MODE_PRECEDENCE,
  type QueryFlags,
  queryInput,
  searchInput,
  textInput,
} from "../read/query-input.js";
import { searchJournal } from "../read/search.js";
import { searchAnswer } from "../read/search-output.js";
import { randomUuid } from "../base/random.js";
import { feedbackJson } from "../cli/feedback-command.js";
import { goldenJson, goldenRequest, goldenWork } from "../cli/golden-command.js";
import { recordJson, uncommittedNote } from "../cli/record-command.js";
import type { RecordCall, RecordRelay } from "./record-relay.js";
import type { RecordDrafter, ServedJournal } from "./served-journal.js";

const READS: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };
const ADDS: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, openWorldHint: false };
const CHANGES: ToolAnnotations = { readOnlyHint: false, idempotentHint: true, openWorldHint: false };

/** A number the command line takes as text: either form. */
const count = () => z.union([z.number(), z.string()]).optional();
const text = () => z.string().optional();

/** The answer to a call: the command's JSON (or, for a text mode of query, its text), and a note when a commit failed. */
function answer(output: unknown, note?: string): CallToolResult {
  const body = typeof output === "string" ? output.trimEnd() : JSON.stringify(output);
  return { content: [{ type: "text", text: body }, ...(note ? [{ type: "text" as const, text: note }] : [])] };
}

/** Runs a call; an error is a tool error with the command's one line. */
async function call(work: () => Promise<CallToolResult> | CallToolResult): Promise<CallToolResult> {
  try {
    return await work();
  } catch (error) {
    return { isError: true, content: [{ type: "text", text: messageFor(error) }] };
  }
}

/** `value` as the command line would give it: text. */
function asText(value: string | number | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

/** A record call's kind and draft, its input checked by the command's rules (InvalidFieldError). */
function recordWork(relayed: RecordCall): {
  kind: "failure" | "heuristic";
  draft: RecordDrafter;
} {
  const now = new Date(relayed.now);
  const args = relayed.args as Record<string, string | number | undefined>;
  if (relayed.tool === "record_failure") {
    const input = resolveFailureInput({ ...args, severity: asText(args.severity) }, {});
    return {
      kind: "failure",
      draft: (layout, claimed) => draftFailure(layout, input, now, { loreId: relayed.loreId, claimed }),
    };
  }
  const input = resolveHeuristicInput({ ...args, confidence: asText(args.confidence) }, {});
  return { kind: "heuristic", draft: (layout) => draftHeuristic(layout, input, now, { loreId: relayed.loreId }) };
}

/** Records a call in this server's queue; once, by its lore id (record-batch.ts persist). */
async function recordHere(
  served: ServedJournal,
  { kind, draft }: ReturnType<typeof recordWork>,
): Promise<CallToolResult> {
  const record = await served.record(draft);
  return answer(recordJson(kind, record), uncommittedNote(record));
}

/**
 * A record tool's call: its input checked here, then recorded by the server
 * that leads the journal's relay, or here when none answers it
 * (record-relay.ts).
 */
function recordTool(
  served: ServedJournal,
  relay: RecordRelay,
  tool: RecordCall["tool"],
  args: RecordCall["args"],
): Promise<CallToolResult> {
  return call(async () => {
    const relayed: RecordCall = { tool, args, now: new Date().toISOString(), loreId: randomUuid() };
    const work = recordWork(relayed);
    return (await relay.forward(relayed)) ?? (await recordHere(served, work));
  });
}

/** The flags of `lore query --<mode> ... --format json` for the query tool's arguments. */
function queryFlags(mode: string, args: Omit<QueryFlags, "format" | "recent"> & { recent?: string }): QueryFlags {
  if (!(MODE_PRECEDENCE as readonly string[]).includes(mode)) {
    throw new InvalidFieldError("mode", `must be one of ${MODE_PRECEDENCE.join(", ")} (got ${quoted(mode)})`);
  }
  const flags: QueryFlags = { ...args, format: "json" };
  if (mode === "domain" || mode === "tags" || mode === "recent") {
    if (flags[mode] === undefined) throw new InvalidFieldError(mode, `is required with mode ${mode}`);
  } else {
    (flags as Record<string, unknown>)[mode] = true;
  }
  return flags;
}

const idsSchema = z.array(z.union([z.string(), z.number()])).describe("row ids, H-<id>s or lore ids");

function verdictTool(server: McpServer, served: ServedJournal, name: "validate" | "violate", verdict: FeedbackVerdict) {
  server.registerTool(
    name,
    {
      description: `Heuristics a task followed ${verdict === "validated" ? "succeeded" : "failed"}: ${verdict} +1, confidence ${verdict === "validated" ? "up" : "down"}.`,
      inputSchema: { ids: idsSchema },
      annotations: ADDS,
    },
    (args) =>
      call(async () => {
        const request = feedbackRequest(verdict, args.ids.map(String));
        const now = new Date();
        const result = await served.write((batch, session) => batch.alone(() => recordFeedback(session, request, now)));
        const note = result.commitError
          ? `recorded, but the git commit failed: ${messageFor(result.commitError)}; the next lore command commits it (do not record it again)`
          : undefined;
        return answer(feedbackJson(verdict, result), note);
      }),
  );
}

export function registerJournalTools(server: McpServer, served: ServedJournal, relay: RecordRelay): void {
  relay.take((relayed) => call(() => recordHere(served, recordWork(relayed))));
  server.registerTool(
    "record_failure",
    {
      description: "Record a failure: markdown, database row and git commit. Returns the record.",
      inputSchema: {
        title: z.string(),
        domain: z.string(),
        severity: count().describe("1-5 or low|medium|high|critical"),
        tags: text().describe("comma-separated"),
        summary: text(),
      },
      annotations: ADDS,
    },
    (args) => recordTool(served, relay, "record_failure", args),
  );

  server.registerTool(
    "record_heuristic",
    {
      description: "Record a heuristic (a rule learned) in its domain's file, with a git commit. Returns the record.",
      inputSchema: {
        domain: z.string(),
        rule: z.string(),
        explanation: text(),
        source: text(),
        confidence: count().describe("0-1 or low|medium|high"),
      },
      annotations: ADDS,
    },
    (args) => recordTool(served, relay, "record_heuristic", args),
  );

  server.registerTool(
    "search",
    {
      description: 'Full-text search of every record: words, "phrases", prefix*, AND/OR/NOT. Best first.',
      inputSchema: { text: z.string(), domain: text(), type: text().describe("failure|heuristic|..."), limit: count() },
      annotations: READS,
    },
    (args) =>
      call(() => {
        const request = searchInput({ ...args, limit: asText(args.limit) });
        return answer(searchAnswer(served.read((journal) => searchJournal(journal, request))));
      }),
  );

  server.registerTool(
    "query",
    {
      description: `Read the journal as ELF's query.py. mode: ${MODE_PRECEDENCE.join("|")}.`,
      inputSchema: {
        mode: z.string(),
        domain: text(),
        tags: text(),
        recent: count().describe("N, for mode recent"),
        type: text(),
        days: count(),
        limit: count(),
      },
      annotations: READS,
    },
    (args) =>
      call(() => {
        const { mode, ...rest } = args;
        const flags = queryFlags(mode, {
          ...rest,
          recent: asText(rest.recent),
          days: asText(rest.days),
          limit: asText(rest.limit),
        });
        const input = queryInput(flags);
        if (input.mode !== mode) {
          throw new InvalidFieldError(input.mode ?? "mode", `selects its own mode, before ${mode}: leave it out`);
        }
        const now = new Date();
        const result = served.read((journal) => answerQuery(journal, input, mode, now));
        return answer(result.stdout, result.stderr.trim() || undefined);
      }),
  );

  server.registerTool(
    "context",
    {
      description: "The briefing for a task: golden rules, relevant knowledge, recent failures, within max-tokens.",
      inputSchema: { task: text(), domain: text(), tags: text(), "max-tokens": count() },
      annotations: READS,
    },
    (args) =>
      call(() => {
        const request = contextInput({ ...args, "max-tokens": asText(args["max-tokens"]) }, () =>
          args.task === undefined ? undefined : textInput("task", args.task),
        );
        return answer(served.read((journal) => buildContext(journal, request)).json);
      }),
  );

  verdictTool(server, served, "validate", "validated");
  verdictTool(server, served, "violate", "violated");

  server.registerTool(
    "golden",
    {
      description: "List golden rules and candidates; or promote or demote id; or auto: promote every candidate.",
      inputSchema: {
        action: text().describe("promote|demote"),
        id: z.union([z.string(), z.number()]).optional(),
        auto: z.boolean().optional(),
      },
      annotations: CHANGES,
    },
    (args) =>
      call(async () => {
        if (args.action === undefined && args.id !== undefined) {
          throw new InvalidFieldError("ACTION", `name what to do with ${quoted(String(args.id))}: promote or demote`);
        }
        const request = goldenRequest(args.action, asText(args.id), [], args.auto === true);
        const now = new Date();
        const outcome = await served.write((batch, session) => batch.alone(() => goldenWork(session, request, now)));
        const failed = "changes" in outcome ? outcome.changes.find((change) => change.commitError) : undefined;
        const note = failed?.commitError
          ? `changed, but the git commit failed: ${messageFor(failed.commitError)}; the next lore command commits it (do not change it again)`
          : undefined;
        return answer(goldenJson(outcome), note);
      }),
  );
}
