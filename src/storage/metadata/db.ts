/**
 * The metadata database's table map. Each domain adds its tables by declaration
 * merging from its own `*.table.ts` file:
 *
 * @example
 * declare module '../../storage/metadata/index.js' {
 *   interface Db { projects: ProjectTable }
 * }
 *
 * Conventions shared by every table (so one repository works on SQLite and PostgreSQL):
 * times are ISO-8601 UTC strings (`text`), which sort correctly as text; booleans are
 * 0/1 integers; lists and small documents are JSON text.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Db {}
