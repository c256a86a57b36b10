/**
 * Where a search's phrases occur in a record's text, read as FTS5's
 * `unicode61 remove_diacritics 2` tokenizer reads it: the search ranks and
 * marks its candidates in JavaScript from their rows' text, rather than ask
 * FTS5's `highlight` to tokenize every field of every candidate again.
 *
 *   const tokens = foldedTokens("Café au lait");            // ["cafe", "au", "lait"]
 *   const found = phraseOccurrences(text, query.phrases);  // [{ phrase: 0, start: 4, end: 9 }, ...]
 *
 * A token is a run of letters, digits and private-use characters, with the
 * diacritics FTS5 keeps inside a token; it is lower-cased and its
 * diacritics removed. A phrase occurs where its tokens follow each other
 * (whatever separates them), its last token's prefix being enough for a
 * prefix phrase. Each phrase's occurrences are counted apart, and do not
 * overlap one another.
 *
 * Nearly every text (ASCII, or with letters such as `é`, `ü`, `日` that fold
 * to one character each) is lower-cased and folded in place, character by
 * character, and searched with `indexOf`: for ASCII this is exactly what
 * FTS5 does, at a tenth of the cost of tokenizing the text. Any other text (a
 * decomposed accent, a letter whose lower case is longer) is tokenized by
 * Unicode property. Both are near enough to FTS5 for ranking, but FTS5
 * folds some letters (`ł`, `ø`) and some scripts' marks otherwise, so a
 * caller that must show FTS5's matches asks FTS5 when this finds none in a
 * row FTS5 matched (search.ts).
 * Pure functions; nothing here throws.
 */

/** A phrase of a search as FTS5 reads it: its folded tokens, and whether its last is a prefix. */
export interface TokenPhrase {
  tokens: string[];
  prefix: boolean;
}

/** An occurrence of phrase number `phrase` of the list given, at characters [start, end) of the text. */
export interface PhraseOccurrence {
  phrase: number;
  start: number;
  end: number;
}

interface TextToken {
  start: number;
  end: number;
  folded: string;
}

/**
 * A token: a letter, digit or private-use character, then any more of them
 * and of the diacritics FTS5 keeps inside a token (and folds away: the
 * combining marks its `sqlite3Fts5UnicodeIsdiacritic` names); other marks
 * part tokens, as in FTS5.
 */
const TOKEN_CHARACTER_CLASSES = String.raw`[\p{L}\p{N}\p{Co}]|[\u0300-\u0304\u0306-\u030c\u030f\u0311\u031b\u0323-\u0328\u032d\u032e\u0330\u0331]`;
const TOKEN = new RegExp(String.raw`[\p{L}\p{N}\p{Co}](?:${TOKEN_CHARACTER_CLASSES})*`, "gu");
const TOKEN_CHARACTER = new RegExp(`^(?:${TOKEN_CHARACTER_CLASSES})$`, "u");
/** Code units, not code points: these are several times faster than their `u` forms. */
const WIDE_CHARACTER = /[\u0080-\uffff]/;
const DIACRITIC = /[\u0300-\u036f]/;
const DIACRITICS = /[\u0300-\u036f]/g;

/** A lower-cased text with its diacritics removed. */
function foldedCharacters(lower: string): string {
  return lower.normalize("NFD").replace(DIACRITICS, "");
}

function foldedToken(token: string): string {
  const lower = token.toLowerCase();
  return WIDE_CHARACTER.test(lower) ? foldedCharacters(lower) : lower;
}

function tokensOf(text: string): TextToken[] {
  const tokens: TextToken[] = [];
  for (const match of text.matchAll(TOKEN)) {
    const folded = foldedToken(match[0]);
    if (folded !== "") tokens.push({ start: match.index, end: match.index + match[0].length, folded });
  }
  return tokens;
}

/** The tokens of `text`, folded. */
export function foldedTokens(text: string): string[] {
  return tokensOf(text).map((token) => token.folded);
}

/** Every occurrence of each of `phrases` in `text`, phrase by phrase, each phrase's in text order. */
export function phraseOccurrences(text: string, phrases: readonly TokenPhrase[]): PhraseOccurrence[] {
  const found: PhraseOccurrence[] = [];
  const folded = foldedInPlace(text);
  if (folded !== undefined) {
    phrases.forEach((phrase, index) => {
      occurrencesInFolded(folded, phrase, index, found);
    });
  } else {
    const tokens = tokensOf(text);
    phrases.forEach((phrase, index) => {
      occurrencesInTokens(tokens, phrase, index, found);
    });
  }
  return found;
}

/**
 * `text` lower-cased and its diacritics removed, when that keeps every
 * character where it was (ASCII; `é`, `ü`, `日`: nearly every text); else
 * undefined (a decomposed accent, a letter whose lower case is longer, a
 * letter such as a Hangul syllable that decomposes into several).
 */
function foldedInPlace(text: string): string | undefined {
  const lower = text.toLowerCase();
  if (!WIDE_CHARACTER.test(lower)) return lower;
  if (lower.length !== text.length || DIACRITIC.test(lower)) return undefined;
  // Each character decomposes into itself, or a base and diacritics: with
  // those removed, one character each, unless one decomposed otherwise.
  const folded = foldedCharacters(lower);
  return folded.length === lower.length ? folded : undefined;
}

const tokenCharacterCache = new Map<number, boolean>();

/** Whether the character at `at` of a folded text is part of a token. */
function isTokenCharacter(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  if (code < 128) return (code >= 48 && code <= 57) || (code >= 97 && code <= 122);
  if (Number.isNaN(code)) return false;
  // The second half of a surrogate pair is its character's.
  const point = text.codePointAt(code >= 0xdc00 && code <= 0xdfff ? at - 1 : at) as number;
  let token = tokenCharacterCache.get(point);
  if (token === undefined) {
    token = TOKEN_CHARACTER.test(String.fromCodePoint(point));
    tokenCharacterCache.set(point, token);
  }
  return token;
}

/** Where the token `token` ends if it starts at `at` of the folded `text`, or -1. */
function tokenEndAt(text: string, at: number, token: string, prefix: boolean): number {
  if (!text.startsWith(token, at)) return -1;
  let end = at + token.length;
  if (!prefix) return isTokenCharacter(text, end) ? -1 : end;
  while (isTokenCharacter(text, end)) end++;
  return end;
}

function occurrencesInFolded(text: string, phrase: TokenPhrase, index: number, found: PhraseOccurrence[]): void {
  const { tokens, prefix } = phrase;
  const last = tokens.length - 1;
  let from = 0;
  for (let start = text.indexOf(tokens[0]); start >= 0; start = text.indexOf(tokens[0], from)) {
    from = start + 1;
    if (start > 0 && isTokenCharacter(text, start - 1)) continue;
    let end = start;
    for (let at = 0; at <= last && end >= 0; at++) {
      if (at > 0) while (end < text.length && !isTokenCharacter(text, end)) end++;
      end = tokenEndAt(text, end, tokens[at], prefix && at === last);
    }
    if (end < 0) continue;
    found.push({ phrase: index, start, end });
    from = end;
  }
}

function occurrencesInTokens(tokens: TextToken[], phrase: TokenPhrase, index: number, found: PhraseOccurrence[]): void {
  const last = phrase.tokens.length - 1;
  for (let at = 0; at + last < tokens.length; ) {
    const here = phrase.tokens.every((token, offset) => {
      const actual = tokens[at + offset].folded;
      return offset === last && phrase.prefix ? actual.startsWith(token) : actual === token;
    });
    if (!here) {
      at++;
      continue;
    }
    found.push({ phrase: index, start: tokens[at].start, end: tokens[at + last].end });
    at += last + 1;
  }
}
