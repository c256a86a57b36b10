/**
 * Prepared statements, compiled once per connection and SQL text.
 *
 *   prepared(db, "SELECT ... WHERE id = ?").get(id)
 *
 * Preparing a statement per row costs time and memory that is only returned
 * when the garbage collector finalises it: a sync that touches 100,000 rows
 * would hold hundreds of thousands of compiled statements. Use this wherever
 * a statement runs once per row or per file. The cache lives as long as the
 * connection object.
 */
import type Database from "better-sqlite3";

const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

export function prepared(db: Database.Database, sql: string): Database.Statement {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}
