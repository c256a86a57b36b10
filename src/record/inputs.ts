/**
 * The inputs of the record commands, resolved as ELF resolves them: a
 * non-empty flag, else its non-empty environment variable (`FAILURE_*`,
 * `HEURISTIC_*`), else the default. Where ELF silently replaced a bad value
 * (severity 9 became 3, an unknown confidence became 0.7), these throw
 * `InvalidFieldError` instead.
 *
 * `resolveFailureInput(flags, env)` and `resolveHeuristicInput(flags, env)`
 * return the validated input, or throw `MissingFieldsError` naming the
 * required fields that are absent (the CLI prompts for them on a TTY), or
 * `InvalidFieldError`. `resolveObservationInput(fields)` validates the
 * fields of an observation (no command reads one from flags) and throws
 * `InvalidFieldError`.
 */
import { domainName, multiLine, required, singleLine } from "./fields.js";
import { domainSlug } from "../journal/slug.js";
import { severityFromText } from "../journal/failure-markdown.js";
import { OBSERVATION_SEVERITY } from "../journal/observation-markdown.js";
import { ExitCode, InvalidFieldError, LoreError, quoted } from "../base/errors.js";

export class MissingFieldsError extends LoreError {
  readonly exitCode = ExitCode.Invalid;
  constructor(readonly fields: string[]) {
    super(`missing required ${fields.map((field) => `--${field}`).join(" and ")}`);
  }
}

export interface FailureInput {
  title: string;
  domain: string;
  severity: number;
  tags: string;
  summary: string;
}

/** An observation has a failure's fields; its severity is always OBSERVATION_SEVERITY. */
export type ObservationInput = FailureInput;

export interface HeuristicInput {
  /** The domain slug: file name and database value, as in ELF. */
  domain: string;
  rule: string;
  explanation: string;
  source: string;
  confidence: number;
}

export type FailureFlags = Partial<Record<keyof FailureInput, string>>;
export type HeuristicFlags = Partial<Record<keyof HeuristicInput, string>>;

export const LIMITS = {
  title: 500,
  domain: 100,
  summary: 50_000,
  tags: 2_000,
  rule: 500,
  explanation: 5_000,
  source: 500,
} as const;

const CONFIDENCE_WORDS: Record<string, number> = { low: 0.3, medium: 0.6, high: 0.85 };

function fromFlagOrEnv<K extends string>(
  flags: Partial<Record<K, string>>,
  env: NodeJS.ProcessEnv,
  prefix: string,
  name: K,
): string | undefined {
  const flag = flags[name];
  const fromEnv = env[`${prefix}_${name.toUpperCase()}`];
  if (flag) return flag;
  // As ELF's `${title:-$FAILURE_TITLE}`: an empty flag falls back to its variable.
  if (fromEnv) return fromEnv;
  return flag ?? fromEnv;
}

function assertPresent(values: Record<string, string | undefined>): void {
  const missing = Object.entries(values)
    .filter(([, value]) => value === undefined)
    .map(([field]) => field);
  if (missing.length > 0) throw new MissingFieldsError(missing);
}

export function parseSeverity(value: string | undefined): number {
  if ((value ?? "").trim() === "") return 3;
  const severity = severityFromText(value as string);
  if (severity !== undefined) return severity;
  throw new InvalidFieldError("severity", `must be 1-5 or low, medium, high, critical (got ${quoted(value ?? "")})`);
}

export function parseConfidence(value: string | undefined): number {
  const word = (value ?? "").trim().toLowerCase();
  if (word === "") return 0.7;
  if (Object.hasOwn(CONFIDENCE_WORDS, word)) return CONFIDENCE_WORDS[word];
  if (/^(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+)$/.test(word)) return Number(word);
  throw new InvalidFieldError(
    "confidence",
    `must be a number from 0 to 1 or low, medium, high (got ${quoted(value ?? "")})`,
  );
}

export function resolveFailureInput(flags: FailureFlags, env: NodeJS.ProcessEnv): FailureInput {
  const read = (name: keyof FailureInput) => fromFlagOrEnv(flags, env, "FAILURE", name);
  const title = read("title");
  const domain = read("domain");
  assertPresent({ title, domain });
  const summary = read("summary");
  return {
    title: required("title", singleLine("title", title as string, LIMITS.title)),
    domain: domainName("domain", domain as string, LIMITS.domain),
    severity: parseSeverity(read("severity")),
    tags: singleLine("tags", read("tags") ?? "", LIMITS.tags),
    summary: summary ? multiLine("summary", summary, LIMITS.summary) : "No summary provided",
  };
}

/** A domain as a heuristic's domain file names it: its slug, which must not be empty. */
function domainSlugOf(domain: string): string {
  const slug = domainSlug(domainName("domain", domain, LIMITS.domain));
  if (slug === "") throw new InvalidFieldError("domain", `must contain a letter or digit (got ${quoted(domain)})`);
  return slug;
}

export function resolveHeuristicInput(flags: HeuristicFlags, env: NodeJS.ProcessEnv): HeuristicInput {
  const read = (name: keyof HeuristicInput) => fromFlagOrEnv(flags, env, "HEURISTIC", name);
  const domain = read("domain");
  const rule = read("rule");
  assertPresent({ domain, rule });
  return {
    domain: domainSlugOf(domain as string),
    rule: required("rule", singleLine("rule", rule as string, LIMITS.rule)),
    explanation: multiLine("explanation", read("explanation") ?? "", LIMITS.explanation),
    source: singleLine("source", read("source") ?? "", LIMITS.source) || "observation",
    confidence: parseConfidence(read("confidence")),
  };
}

/**
 * An observation's input, its fields as given (no flags, no environment):
 * the title, tags and summary under a failure's rules, the domain slugged as
 * a heuristic's (so that a task's observations and heuristics of one domain
 * share it), and ELF's pattern severity.
 */
export function resolveObservationInput(fields: Omit<ObservationInput, "severity">): ObservationInput {
  return {
    title: required("title", singleLine("title", fields.title, LIMITS.title)),
    domain: domainSlugOf(fields.domain),
    severity: OBSERVATION_SEVERITY,
    tags: singleLine("tags", fields.tags, LIMITS.tags),
    summary: required("summary", multiLine("summary", fields.summary, LIMITS.summary)),
  };
}
