/**
 * Asking for missing required fields, only when a person is at a terminal.
 *
 * `promptForMissing(fields, labels)` asks for each missing field on stderr and
 * reads the answers from stdin (a TTY). The record commands call it only when
 * stdin is a TTY; otherwise a missing field is a usage error.
 */
import readline from "node:readline/promises";

export async function promptForMissing(fields: string[], labels: Record<string, string>): Promise<Record<string, string>> {
  const reader = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answers: Record<string, string> = {};
    for (const field of fields) answers[field] = await reader.question(`${labels[field] ?? field}: `);
    return answers;
  } finally {
    reader.close();
  }
}
