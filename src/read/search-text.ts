/**
 * A user's search text, made into an FTS5 query that can never be an SQL or
 * FTS5 syntax error.
 *
 *   const query = ftsQueryOf(text);   // throws InvalidFieldError (exit 2)
 *   db.prepare("... WHERE lore_search_learnings MATCH ?").all(query.match);
 *
 * The syntax (docs: README, `lore search`):
 *   word          a word; several words must all match (AND)
 *   word*         a prefix: `deploy*` finds deploy, deployed, deployment
 *   "a phrase"    the words in this order, next to each other
 *   "a phrase"*   a phrase whose last word is a prefix
 *   a OR b        either; `AND` may be written; `a NOT b`: a without b
 *   ( ... )       grouping
 * Operators are only the upper-case words AND, OR and NOT; a lower-case
 * `and` is a word. Every word and phrase goes to FTS5 as a quoted string, so
 * FTS5's own syntax characters (`:`, `^`, `+`, `-`, `.`, `{`, `NEAR(`, ...)
 * in the text are only text. What FTS5 would refuse is refused here, with a
 * one-line error naming `TEXT` and the rule: an unclosed quote or
 * parenthesis, an operator with nothing on one side, `NOT` first, a `*`
 * alone or inside a word, or a text with no word in it. A word or phrase of
 * punctuation alone (`-`, `;`) is left out, as FTS5 leaves it out of the
 * records' text.
 * `query.terms` are the words and phrases, for the message that nothing was
 * found; `query.phrases` those a match contains (not those after a NOT), as
 * FTS5's tokenizer reads them, for ranking.
 */
import { InvalidFieldError } from "../base/errors.js";
import { foldedTokens } from "./phrase-occurrences.js";

export interface FtsQuery {
  /** The FTS5 MATCH expression. */
  match: string;
  /** The words and phrases searched for, as the user wrote them (prefixes with their `*`). */
  terms: string[];
  /** The words and phrases a match holds: every one not negated by NOT, each once. */
  phrases: SearchPhrase[];
}

/** A word or phrase of the query, as FTS5 reads it. */
export interface SearchPhrase {
  /** The phrase alone as an FTS5 expression (a quoted string, `*` after a prefix). */
  match: string;
  /** Its tokens, folded as FTS5's tokenizer folds them (`foldedTokens`). */
  tokens: string[];
  /** Whether its last token is a prefix. */
  prefix: boolean;
}

type Token =
  | { kind: "term"; text: string; prefix: boolean; phrase: boolean }
  | { kind: "AND" | "OR" | "NOT" | "(" | ")" };

const FIELD = "TEXT";

function invalid(rule: string): InvalidFieldError {
  return new InvalidFieldError(FIELD, rule);
}

/** Whether `text` holds a letter or a digit, which FTS5's unicode61 tokenizer makes a token of. */
function hasToken(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text[at];
    if (/\s/.test(char)) {
      at++;
    } else if (char === "(" || char === ")") {
      tokens.push({ kind: char });
      at++;
    } else if (char === '"') {
      const end = text.indexOf('"', at + 1);
      if (end < 0) throw invalid(`a quote opened at character ${at + 1} is never closed`);
      const phrase = text.slice(at + 1, end);
      const prefix = text[end + 1] === "*";
      if (hasToken(phrase)) tokens.push({ kind: "term", text: phrase, prefix, phrase: true });
      at = end + 1 + (prefix ? 1 : 0);
    } else {
      let end = at;
      while (end < text.length && !/[\s()"]/.test(text[end])) end++;
      const word = text.slice(at, end);
      at = end;
      if (word === "AND" || word === "OR" || word === "NOT") {
        tokens.push({ kind: word });
        continue;
      }
      const prefix = word.endsWith("*");
      const body = prefix ? word.slice(0, -1) : word;
      if (body.includes("*")) throw invalid(`"${word}": * may only end a word, as a prefix`);
      if (body === "") throw invalid("a * must follow a word, as a prefix");
      // Punctuation alone (`-`, `;`, `...`) is no word to FTS5: it is left out, as FTS5 leaves it out of the text.
      if (hasToken(body)) tokens.push({ kind: "term", text: body, prefix, phrase: false });
    }
  }
  return tokens;
}

/** A recursive-descent reading of the tokens, writing the FTS5 expression as it goes. */
class ExpressionWriter {
  private at = 0;
  /** How many NOTs the expression being written is under. */
  private negated = 0;
  readonly terms: string[] = [];
  readonly phrases = new Map<string, SearchPhrase>();

  constructor(private readonly tokens: Token[]) {}

  write(): string {
    const expression = this.orExpression();
    const rest = this.tokens[this.at];
    if (rest) throw invalid(rest.kind === ")" ? "a ) closes no (" : `unexpected ${rest.kind}`);
    return expression;
  }

  private orExpression(): string {
    const parts = [this.andExpression()];
    while (this.next("OR")) parts.push(this.andExpression());
    return parts.join(" OR ");
  }

  private andExpression(): string {
    const parts = [this.notExpression()];
    for (;;) {
      if (this.next("AND")) {
        parts.push(this.notExpression());
        continue;
      }
      const following = this.tokens[this.at];
      if (following && (following.kind === "term" || following.kind === "(")) parts.push(this.notExpression());
      else break;
    }
    return parts.join(" AND ");
  }

  private notExpression(): string {
    let expression = this.primary();
    while (this.next("NOT")) {
      this.negated++;
      expression = `${expression} NOT ${this.primary()}`;
      this.negated--;
    }
    return expression;
  }

  private primary(): string {
    const token = this.tokens[this.at];
    if (!token)
      throw invalid(this.at === 0 ? "has no word to search for (a letter or digit)" : "ends with an operator");
    this.at++;
    if (token.kind === "term") {
      this.terms.push(
        token.phrase ? `"${token.text}"${token.prefix ? "*" : ""}` : `${token.text}${token.prefix ? "*" : ""}`,
      );
      const match = `"${token.text.replaceAll('"', '""')}"${token.prefix ? "*" : ""}`;
      if (this.negated === 0)
        this.phrases.set(match, { match, tokens: foldedTokens(token.text), prefix: token.prefix });
      return match;
    }
    if (token.kind === "(") {
      if (this.tokens[this.at]?.kind === ")") throw invalid("() holds nothing to search for");
      const inner = this.orExpression();
      if (!this.next(")")) throw invalid("a ( is never closed");
      return `(${inner})`;
    }
    if (token.kind === ")") throw invalid("a ) closes no (");
    throw invalid(this.at === 1 ? `cannot start with ${token.kind}` : `${token.kind} needs a word on each side`);
  }

  private next(kind: Token["kind"]): boolean {
    if (this.tokens[this.at]?.kind !== kind) return false;
    this.at++;
    return true;
  }
}

export function ftsQueryOf(text: string): FtsQuery {
  const writer = new ExpressionWriter(tokenize(text));
  const match = writer.write();
  return { match, terms: writer.terms, phrases: [...writer.phrases.values()] };
}
