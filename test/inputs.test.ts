// The input checks of the record commands (src/record/fields.ts, inputs.ts),
// without a process: a flag, else its FAILURE_* / HEURISTIC_* variable, else
// the default; severity and confidence as numbers or words; limits counted in
// characters before trimming; control characters; domains that look like
// paths. Every rejection is an InvalidFieldError (or MissingFieldsError) with
// exitCode 2 and a one-line message naming the field and the rule.
import { describe, expect, it } from "vitest";
import { thrownBy } from "./support/thrown.js";
import { exitCodeFor } from "../src/base/errors.js";
import { domainName, multiLine, required, singleLine } from "../src/record/fields.js";
import { InvalidFieldError, quoted } from "../src/base/errors.js";
import {
  LIMITS,
  MissingFieldsError,
  parseConfidence,
  parseSeverity,
  resolveFailureInput,
  resolveHeuristicInput,
} from "../src/record/inputs.js";

/** Runs `run`, which must throw an InvalidFieldError for `field`, and returns the error's message. */
function rejection(run: () => unknown, field: string): string {
  const thrown = thrownBy(run);
  expect(thrown).toBeInstanceOf(InvalidFieldError);
  const error = thrown as InvalidFieldError;
  expect(error.exitCode).toBe(2);
  expect(exitCodeFor(error)).toBe(2);
  expect(error.field).toBe(field);
  expect(error.message.startsWith(`${field}: `), error.message).toBe(true);
  expect(error.message).not.toContain("\n");
  return error.message;
}

function expectRejected(run: () => unknown, field: string, message: string | RegExp): void {
  const actual = rejection(run, field);
  if (typeof message === "string") expect(actual).toBe(message);
  else expect(actual).toMatch(message);
}

function missing(run: () => unknown): MissingFieldsError {
  const thrown = thrownBy(run);
  expect(thrown).toBeInstanceOf(MissingFieldsError);
  expect((thrown as MissingFieldsError).exitCode).toBe(2);
  return thrown as MissingFieldsError;
}

const FAILURE = { title: "Lock race", domain: "Concurrency" };
const HEURISTIC = { domain: "testing", rule: "Take the lock first" };

describe("singleLine", () => {
  it("returns the value trimmed, inner spacing kept", () => {
    expect(singleLine("title", "  a  b  ", 10)).toBe("a  b");
    expect(singleLine("title", "", 10)).toBe("");
    expect(singleLine("title", "日本語 🎉", 10)).toBe("日本語 🎉");
  });

  it("counts characters (code points), not UTF-16 units or bytes, before trimming", () => {
    expect(singleLine("title", "🎉".repeat(5), 5)).toBe("🎉".repeat(5));
    expectRejected(
      () => singleLine("title", "🎉".repeat(6), 5),
      "title",
      "title: must be at most 5 characters (got 6)",
    );
    expectRejected(() => singleLine("title", "abcd  ", 5), "title", "title: must be at most 5 characters (got 6)");
    expect(singleLine("title", "abcde", 5)).toBe("abcde");
  });

  it("rejects every control character, tab and newline included, naming it and where", () => {
    const cases: Array<[string, string]> = [
      ["a\tb", "U+0009 at position 2"],
      ["a\nb", "U+000A at position 2"],
      ["ab\r", "U+000D at position 3"],
      ["\u0000", "U+0000 at position 1"],
      ["x\u001b[31mred", "U+001B at position 2"],
      ["del\u007f", "U+007F at position 4"],
      ["c1\u0085", "U+0085 at position 3"],
      ["c1\u009f", "U+009F at position 3"],
    ];
    for (const [value, found] of cases) {
      expectRejected(
        () => singleLine("rule", value, 500),
        "rule",
        `rule: must be one line without control characters (found ${found})`,
      );
    }
  });

  it("accepts characters beyond C0 and C1: no-break space, right-to-left mark, BOM, combining marks", () => {
    expect(singleLine("tags", "a\u00a0b\u200fc\ufeffde\u0301", 100)).toBe("a\u00a0b\u200fc\ufeffde\u0301");
  });
});

describe("multiLine", () => {
  it("keeps the value exactly: newlines, tabs, leading and trailing blanks", () => {
    const text = "\n  first\n\tsecond\t\n\n";
    expect(multiLine("summary", text, 100)).toBe(text);
  });

  it("rejects carriage return and every other control character but newline and tab", () => {
    const cases: Array<[string, string]> = [
      ["line\r\nnext", "U+000D at position 5"],
      ["a\u000bb", "U+000B at position 2"],
      ["a\u000cb", "U+000C at position 2"],
      ["\u001b[2J", "U+001B at position 1"],
      ["ok\n\u0007", "U+0007 at position 4"],
      ["\u0085", "U+0085 at position 1"],
    ];
    for (const [value, found] of cases) {
      expectRejected(
        () => multiLine("explanation", value, 5000),
        "explanation",
        `explanation: must not contain control characters other than newline and tab (found ${found})`,
      );
    }
  });

  it("counts characters, newlines included", () => {
    expect(multiLine("summary", "ab\ncd", 5)).toBe("ab\ncd");
    expectRejected(
      () => multiLine("summary", "ab\ncde", 5),
      "summary",
      "summary: must be at most 5 characters (got 6)",
    );
  });
});

describe("required and domainName", () => {
  it("required: the empty string is rejected, anything else returned", () => {
    expectRejected(() => required("rule", ""), "rule", "rule: must not be empty");
    expect(required("rule", "x")).toBe("x");
  });

  it("domainName: a trimmed, non-empty name", () => {
    expect(domainName("domain", "  Mixed Case Domain ", 100)).toBe("Mixed Case Domain");
    expectRejected(() => domainName("domain", "   ", 100), "domain", "domain: must not be empty");
    expectRejected(() => domainName("domain", "d".repeat(101), 100), "domain", /^domain: must be at most 100 /);
    expectRejected(() => domainName("domain", "a\tb", 100), "domain", /^domain: must be one line/);
  });

  it("domainName: never a path: no `/`, no `\\`, not `..` (after trimming)", () => {
    for (const value of ["a/b", "/", "../x", "a\\b", "\\", "..", " .. "]) {
      const shown = JSON.stringify(value.trim());
      expectRejected(
        () => domainName("domain", value, 100),
        "domain",
        `domain: must be a name, not a path: no "/", "\\" or ".." (got ${shown})`,
      );
    }
    for (const value of [".", "...", "a..b", "..x", "C:"]) expect(domainName("domain", value, 100)).toBe(value);
  });

  it("quoted: a value in a message is JSON-quoted and cut at 40 characters", () => {
    expect(quoted('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoted("x".repeat(40))).toBe(`"${"x".repeat(40)}"`);
    expect(quoted("x".repeat(41))).toBe(`"${"x".repeat(40)}..."`);
  });
});

describe("severity", () => {
  it("1-5 as they are; low, medium, high, critical as 2-5, in any case and spacing; empty is 3", () => {
    const cases: Array<[string | undefined, number]> = [
      ["1", 1],
      ["5", 5],
      [" 4 ", 4],
      ["low", 2],
      ["Medium", 3],
      ["HIGH", 4],
      [" critical\t", 5],
      ["", 3],
      ["   ", 3],
      [undefined, 3],
    ];
    for (const [value, severity] of cases) expect(parseSeverity(value), JSON.stringify(value)).toBe(severity);
  });

  it("anything else is rejected (ELF silently made it 3)", () => {
    for (const value of ["0", "6", "9", "3.0", "-1", "03", "hi", "severe", "1 2", "٣"]) {
      expectRejected(
        () => parseSeverity(value),
        "severity",
        `severity: must be 1-5 or low, medium, high, critical (got ${JSON.stringify(value)})`,
      );
    }
    expectRejected(
      () => parseSeverity("z".repeat(60)),
      "severity",
      `severity: must be 1-5 or low, medium, high, critical (got "${"z".repeat(40)}...")`,
    );
  });
});

describe("confidence", () => {
  it("a number from 0 to 1; low, medium, high as 0.3, 0.6, 0.85; empty is 0.7", () => {
    const cases: Array<[string | undefined, number]> = [
      ["0", 0],
      ["1", 1],
      ["1.0", 1],
      ["1.000", 1],
      ["0.5", 0.5],
      [".25", 0.25],
      ["0.123456789", 0.123456789],
      [" 0.9 ", 0.9],
      ["low", 0.3],
      ["Medium", 0.6],
      ["HIGH", 0.85],
      ["", 0.7],
      ["  ", 0.7],
      [undefined, 0.7],
    ];
    for (const [value, confidence] of cases) expect(parseConfidence(value), JSON.stringify(value)).toBe(confidence);
  });

  it("anything else is rejected (ELF silently made it 0.7)", () => {
    for (const value of [
      "1.5",
      "1.01",
      "2",
      "-0.1",
      "-0",
      "1e-1",
      "0.",
      "1.",
      "00.5",
      "01",
      "NaN",
      "Infinity",
      "0x1",
      "very high",
      "0,5",
    ]) {
      expectRejected(
        () => parseConfidence(value),
        "confidence",
        `confidence: must be a number from 0 to 1 or low, medium, high (got ${JSON.stringify(value)})`,
      );
    }
  });
});

describe("resolveFailureInput", () => {
  it("flags with the defaults: severity 3, no tags, `No summary provided`; the domain kept as typed", () => {
    expect(resolveFailureInput({ title: "  Lock race ", domain: " Mixed Case Domain " }, {})).toEqual({
      title: "Lock race",
      domain: "Mixed Case Domain",
      severity: 3,
      tags: "",
      summary: "No summary provided",
    });
  });

  it("each field from its FAILURE_* variable when the flag is absent or empty; a non-empty flag wins", () => {
    const env = {
      FAILURE_TITLE: "Env title",
      FAILURE_DOMAIN: "env-domain",
      FAILURE_SEVERITY: "high",
      FAILURE_TAGS: "a,b",
      FAILURE_SUMMARY: "From the environment.\nSecond line.",
    };
    expect(resolveFailureInput({}, env)).toEqual({
      title: "Env title",
      domain: "env-domain",
      severity: 4,
      tags: "a,b",
      summary: "From the environment.\nSecond line.",
    });
    expect(resolveFailureInput({ title: "", domain: "", severity: "", tags: "", summary: "" }, env)).toEqual(
      resolveFailureInput({}, env),
    );
    expect(resolveFailureInput({ title: "Flag", domain: "flag", severity: "1", tags: "t", summary: "s" }, env)).toEqual(
      { title: "Flag", domain: "flag", severity: 1, tags: "t", summary: "s" },
    );
    // Another command's variables do not count.
    expect(resolveFailureInput({ title: "t" }, { HEURISTIC_DOMAIN: "x", FAILURE_DOMAIN: "f" }).domain).toBe("f");
    expect(missing(() => resolveFailureInput({ title: "t" }, { HEURISTIC_DOMAIN: "x" })).fields).toEqual(["domain"]);
  });

  it("a missing title or domain is a MissingFieldsError naming them (the CLI then prompts)", () => {
    const both = missing(() => resolveFailureInput({}, {}));
    expect(both.fields).toEqual(["title", "domain"]);
    expect(both.message).toBe("missing required --title and --domain");
    expect(missing(() => resolveFailureInput({ title: "t" }, { FAILURE_TITLE: "t" })).fields).toEqual(["domain"]);
    expect(missing(() => resolveFailureInput({ domain: "d" }, {})).message).toBe("missing required --title");
  });

  it("a title or domain given empty or blank is not missing but rejected as empty", () => {
    expectRejected(() => resolveFailureInput({ title: "", domain: "d" }, {}), "title", "title: must not be empty");
    expectRejected(
      () => resolveFailureInput({ title: "t" }, { FAILURE_DOMAIN: "" }),
      "domain",
      "domain: must not be empty",
    );
    expectRejected(() => resolveFailureInput({ title: "   ", domain: "d" }, {}), "title", "title: must not be empty");
  });

  it("limits: title 500, domain 100, tags 2,000, summary 50,000 characters", () => {
    expect(LIMITS).toMatchObject({ title: 500, domain: 100, tags: 2000, summary: 50_000 });
    expect(resolveFailureInput({ ...FAILURE, title: "t".repeat(500) }, {}).title).toHaveLength(500);
    expectRejected(
      () => resolveFailureInput({ ...FAILURE, title: "t".repeat(501) }, {}),
      "title",
      "title: must be at most 500 characters (got 501)",
    );
    expectRejected(
      () => resolveFailureInput({ ...FAILURE, domain: "d".repeat(101) }, {}),
      "domain",
      "domain: must be at most 100 characters (got 101)",
    );
    expect(resolveFailureInput({ ...FAILURE, tags: "g".repeat(2000) }, {}).tags).toHaveLength(2000);
    expectRejected(
      () => resolveFailureInput({ ...FAILURE, tags: "g".repeat(2001) }, {}),
      "tags",
      "tags: must be at most 2000 characters (got 2001)",
    );
    expect(resolveFailureInput({ ...FAILURE, summary: "s".repeat(50_000) }, {}).summary).toHaveLength(50_000);
    expectRejected(
      () => resolveFailureInput({ ...FAILURE }, { FAILURE_SUMMARY: "s".repeat(50_001) }),
      "summary",
      "summary: must be at most 50000 characters (got 50001)",
    );
  });

  it("control characters: none in title, domain or tags; newline and tab only in the summary", () => {
    expectRejected(() => resolveFailureInput({ ...FAILURE, title: "a\tb" }, {}), "title", /^title: must be one line/);
    expectRejected(
      () => resolveFailureInput({ ...FAILURE, domain: "a\nb" }, {}),
      "domain",
      /^domain: must be one line/,
    );
    expectRejected(() => resolveFailureInput({ ...FAILURE, tags: "a\u001bb" }, {}), "tags", /^tags: must be one line/);
    expect(resolveFailureInput({ ...FAILURE, summary: "a\n\tb\n" }, {}).summary).toBe("a\n\tb\n");
    expectRejected(
      () => resolveFailureInput({ ...FAILURE, summary: "a\r\nb" }, {}),
      "summary",
      /^summary: must not contain control characters other than newline and tab \(found U\+000D/,
    );
  });

  it("a path-like domain and a bad severity are rejected", () => {
    expectRejected(
      () => resolveFailureInput({ ...FAILURE, domain: "../etc" }, {}),
      "domain",
      /must be a name, not a path/,
    );
    expectRejected(
      () => resolveFailureInput(FAILURE, { FAILURE_SEVERITY: "9" }),
      "severity",
      'severity: must be 1-5 or low, medium, high, critical (got "9")',
    );
  });
});

describe("resolveHeuristicInput", () => {
  it("flags with the defaults: no explanation, source `observation`, confidence 0.7; the domain slugged", () => {
    expect(resolveHeuristicInput({ domain: " Testing Stuff ", rule: "  Take the lock first " }, {})).toEqual({
      domain: "testing-stuff",
      rule: "Take the lock first",
      explanation: "",
      source: "observation",
      confidence: 0.7,
    });
    expect(resolveHeuristicInput({ ...HEURISTIC, source: "   " }, {}).source).toBe("observation");
  });

  it("each field from its HEURISTIC_* variable when the flag is absent or empty; a non-empty flag wins", () => {
    const env = {
      HEURISTIC_DOMAIN: "Env Domain",
      HEURISTIC_RULE: "Env rule",
      HEURISTIC_EXPLANATION: "  why\n",
      HEURISTIC_SOURCE: "failure",
      HEURISTIC_CONFIDENCE: "high",
    };
    const fromEnv = {
      domain: "env-domain",
      rule: "Env rule",
      explanation: "  why\n",
      source: "failure",
      confidence: 0.85,
    };
    expect(resolveHeuristicInput({}, env)).toEqual(fromEnv);
    expect(resolveHeuristicInput({ domain: "", rule: "", explanation: "", source: "", confidence: "" }, env)).toEqual(
      fromEnv,
    );
    expect(
      resolveHeuristicInput({ domain: "d", rule: "r", explanation: "e", source: "s", confidence: "0.1" }, env),
    ).toEqual({ domain: "d", rule: "r", explanation: "e", source: "s", confidence: 0.1 });
    expect(resolveHeuristicInput(HEURISTIC, { FAILURE_SOURCE: "x", FAILURE_CONFIDENCE: "0.1" })).toMatchObject({
      source: "observation",
      confidence: 0.7,
    });
  });

  it("a missing domain or rule is a MissingFieldsError naming them", () => {
    const both = missing(() => resolveHeuristicInput({ explanation: "e" }, {}));
    expect(both.fields).toEqual(["domain", "rule"]);
    expect(both.message).toBe("missing required --domain and --rule");
    expect(missing(() => resolveHeuristicInput({}, { HEURISTIC_DOMAIN: "d" })).fields).toEqual(["rule"]);
  });

  it("a domain: not a path, at most 100 characters, with a letter or digit", () => {
    expectRejected(
      () => resolveHeuristicInput({ ...HEURISTIC, domain: "a/b" }, {}),
      "domain",
      /must be a name, not a path/,
    );
    expectRejected(
      () => resolveHeuristicInput({ ...HEURISTIC, domain: "a\\b" }, {}),
      "domain",
      /must be a name, not a path/,
    );
    expectRejected(
      () => resolveHeuristicInput({ ...HEURISTIC, domain: ".." }, {}),
      "domain",
      /must be a name, not a path/,
    );
    expectRejected(
      () => resolveHeuristicInput({ ...HEURISTIC, domain: "D".repeat(101) }, {}),
      "domain",
      "domain: must be at most 100 characters (got 101)",
    );
    expect(resolveHeuristicInput({ ...HEURISTIC, domain: "D".repeat(100) }, {}).domain).toBe("d".repeat(100));
    for (const domain of ["!!!", "---", ".", "日本語"]) {
      expectRejected(
        () => resolveHeuristicInput({ ...HEURISTIC, domain }, {}),
        "domain",
        `domain: must contain a letter or digit (got ${JSON.stringify(domain)})`,
      );
    }
    expectRejected(
      () => resolveHeuristicInput({ ...HEURISTIC, domain: "  " }, {}),
      "domain",
      "domain: must not be empty",
    );
  });

  it("limits: rule 500, explanation 5,000, source 500 characters; the rule is not blank", () => {
    expect(LIMITS).toMatchObject({ rule: 500, explanation: 5000, source: 500 });
    expect(resolveHeuristicInput({ ...HEURISTIC, rule: "r".repeat(500) }, {}).rule).toHaveLength(500);
    expectRejected(
      () => resolveHeuristicInput({ ...HEURISTIC, rule: "r".repeat(501) }, {}),
      "rule",
      "rule: must be at most 500 characters (got 501)",
    );
    expectRejected(
      () => resolveHeuristicInput({ ...HEURISTIC, explanation: "e".repeat(5001) }, {}),
      "explanation",
      "explanation: must be at most 5000 characters (got 5001)",
    );
    expectRejected(
      () => resolveHeuristicInput({ ...HEURISTIC, source: "s".repeat(501) }, {}),
      "source",
      "source: must be at most 500 characters (got 501)",
    );
    expectRejected(
      () => resolveHeuristicInput({ ...HEURISTIC, rule: " \u00a0 " }, {}),
      "rule",
      "rule: must not be empty",
    );
  });

  it("control characters: none in the rule or source; newline and tab only in the explanation", () => {
    expectRejected(() => resolveHeuristicInput({ ...HEURISTIC, rule: "a\nb" }, {}), "rule", /^rule: must be one line/);
    expectRejected(
      () => resolveHeuristicInput({ ...HEURISTIC, source: "s\u0000" }, {}),
      "source",
      /^source: must be one line/,
    );
    expect(resolveHeuristicInput({ ...HEURISTIC, explanation: "\ta\nb" }, {}).explanation).toBe("\ta\nb");
    expectRejected(
      () => resolveHeuristicInput({ ...HEURISTIC, explanation: "a\rb" }, {}),
      "explanation",
      /^explanation: must not contain control characters other than newline and tab/,
    );
  });

  it("a bad confidence is rejected", () => {
    expectRejected(
      () => resolveHeuristicInput(HEURISTIC, { HEURISTIC_CONFIDENCE: "1.5" }),
      "confidence",
      'confidence: must be a number from 0 to 1 or low, medium, high (got "1.5")',
    );
  });
});

describe("U+2028 and U+2029, which end a line in the markdown parsers' patterns", () => {
  it("are rejected in a failure's domain and tags and in a heuristic's rule, source and explanation", () => {
    const cases: Array<[string, () => unknown]> = [
      ["domain", () => resolveFailureInput({ title: "t", domain: "a\u2028b" }, {})],
      ["tags", () => resolveFailureInput({ title: "t", domain: "d", tags: "x\u2029y" }, {})],
      ["summary", () => resolveFailureInput({ title: "t", domain: "d", summary: "one\u2028two" }, {})],
      ["rule", () => resolveHeuristicInput({ domain: "d", rule: "a\u2028b" }, {})],
      ["source", () => resolveHeuristicInput({ domain: "d", rule: "r", source: "s\u2028t" }, {})],
      ["explanation", () => resolveHeuristicInput({ domain: "d", rule: "r", explanation: "e\u2029f" }, {})],
    ];
    for (const [field, resolve] of cases) {
      expect(resolve, field).toThrow(InvalidFieldError);
      expect(resolve, field).toThrow(new RegExp(`^${field}: .*found U\\+202[89] at position \\d+\\)$`));
    }
  });
});

describe("U+FFFD, what Node reads for bytes that are not UTF-8", () => {
  it("is rejected in every text field, from a flag or from a variable, naming the field and the position", () => {
    const lost = "caf\uFFFD au lait";
    const rule =
      /^[a-z]+: must be valid UTF-8 \(found U\+FFFD at position 4, where a byte that is not UTF-8 was read\)$/;
    for (const field of ["title", "domain", "tags", "summary"] as const) {
      expectRejected(() => resolveFailureInput({ title: "t", domain: "d", [field]: lost }, {}), field, rule);
      const variable = `FAILURE_${field.toUpperCase()}`;
      expectRejected(
        () => resolveFailureInput({ title: "t", domain: "d", [field]: undefined }, { [variable]: lost }),
        field,
        rule,
      );
    }
    for (const field of ["domain", "rule", "explanation", "source"] as const) {
      expectRejected(() => resolveHeuristicInput({ domain: "d", rule: "r", [field]: lost }, {}), field, rule);
      const variable = `HEURISTIC_${field.toUpperCase()}`;
      expectRejected(
        () => resolveHeuristicInput({ domain: "d", rule: "r", [field]: undefined }, { [variable]: lost }),
        field,
        rule,
      );
    }
    // Other characters beyond ASCII stay welcome.
    expect(singleLine("title", "café \u{1F600} \u200F", 500)).toBe("café \u{1F600} \u200F");
  });
});
