/**
 * Asking for missing required fields, only when a person is at a terminal.
 *
 * `promptForMissing(fields, labels)` asks for each missing field on stderr and
 * reads one line of stdin per field. Lines typed or pasted ahead of their
 * prompt are kept, not lost. If stdin ends first, the fields still missing are
 * a `MissingFieldsError` (a usage error), as without a terminal. The record
 * commands call it only when stdin is a TTY.
 */
import readline from "node:readline";
import { MissingFieldsError } from "../record/inputs.js";

export async function promptForMissing(
  fields: string[],
  labels: Record<string, string>,
): Promise<Record<string, string>> {
  const reader = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  const lines = reader[Symbol.asyncIterator]();
  try {
    const answers: Record<string, string> = {};
    for (const [index, field] of fields.entries()) {
      process.stderr.write(`${labels[field] ?? field}: `);
      const line = await lines.next();
      if (line.done) throw new MissingFieldsError(fields.slice(index));
      answers[field] = line.value;
    }
    return answers;
  } finally {
    reader.close();
  }
}
