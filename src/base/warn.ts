/**
 * One place for lore's warnings: a single line on stderr, `lore: warning: ...`.
 * Warnings never change the exit code.
 */
export function warn(message: string): void {
  process.stderr.write(`lore: warning: ${message}\n`);
}
