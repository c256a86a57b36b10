/**
 * The one argument-parsing configuration of lore, shared by
 * parse-arguments.ts (yargs-parser alone) and help-and-usage.ts (all of
 * yargs), so both read a command line the same way: every value stays a
 * string (yargs would turn `--severity 3` into a number and `--title 007`
 * into 7), a flag given twice keeps its last value, `--no-commit` negates
 * `--commit`, no dots or camel-case aliases, and an option that takes a value
 * takes the next argument even when it starts with a dash.
 */
export const PARSER_CONFIGURATION = {
  "parse-numbers": false,
  "parse-positional-numbers": false,
  "duplicate-arguments-array": false,
  "dot-notation": false,
  "camel-case-expansion": false,
  "boolean-negation": true,
  "nargs-eats-options": true,
} as const;
