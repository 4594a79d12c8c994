import { chmodSync } from "node:fs";
import type BetterSqlite3 from "better-sqlite3";
import { join } from "node:path";
import { GradeCellResult, GradedNotebook } from "./grade";

/** One row of grades.csv: a student's score on one check cell of one notebook. */
export interface GradeRow {
  student: string;
  notebook: string;
  grade_id: string;
  points: number;
  max_points: number;
  reason: string;
}

/** One check as the gradebook keeps it. */
export interface CheckRow {
  grade_id: string;
  check_name: string;
  hidden: number;
  passed: number;
  points: number;
  max_points: number;
  reason: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS submissions (
  student TEXT NOT NULL, notebook TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('graded', 'error')),
  reason TEXT NOT NULL DEFAULT '', seconds REAL NOT NULL DEFAULT 0, graded_at TEXT NOT NULL,
  PRIMARY KEY (student, notebook));
CREATE TABLE IF NOT EXISTS grades (
  student TEXT NOT NULL, notebook TEXT NOT NULL, grade_id TEXT NOT NULL,
  points REAL NOT NULL, max_points REAL NOT NULL, reason TEXT NOT NULL,
  PRIMARY KEY (student, notebook, grade_id));
CREATE TABLE IF NOT EXISTS checks (
  student TEXT NOT NULL, notebook TEXT NOT NULL, grade_id TEXT NOT NULL, check_name TEXT NOT NULL,
  hidden INTEGER NOT NULL, passed INTEGER NOT NULL, points REAL NOT NULL, max_points REAL NOT NULL,
  reason TEXT NOT NULL, time TEXT NOT NULL,
  PRIMARY KEY (student, notebook, grade_id, check_name));
CREATE TABLE IF NOT EXISTS overrides (
  student TEXT NOT NULL, notebook TEXT NOT NULL, grade_id TEXT NOT NULL,
  points REAL NOT NULL, comment TEXT NOT NULL DEFAULT '', at TEXT NOT NULL,
  PRIMARY KEY (student, notebook, grade_id));
`;

/**
 * The gradebook: a real SQLite database file (better-sqlite3), written only by
 * the one process that grades or collects results. A submission's rows are
 * replaced in one transaction, so a crash leaves either its old grade or its new
 * one, never half, and a regrade never counts it twice. A manual override is
 * kept in its own table and wins over the computed points, so it survives
 * regrading.
 *
 * @example
 * const book = Gradebook.open("out/gradebook.sqlite");
 * book.override("alice", "21-email-smtp", "stuff-check", 2, "late-day pass");
 */
export class Gradebook {
  private constructor(private readonly db: BetterSqlite3.Database) {}

  static open(path: string): Gradebook {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require("better-sqlite3") as typeof BetterSqlite3;
    // The gradebook and its WAL files are the instructor's alone (0600), whatever the umask.
    const umask = process.umask(0o077);
    let db: BetterSqlite3.Database;
    try {
      db = new Database(path);
      db.pragma("journal_mode = WAL");
    } finally {
      process.umask(umask);
    }
    chmodSync(path, 0o600);
    db.pragma("synchronous = FULL");
    db.exec(SCHEMA);
    return new Gradebook(db);
  }

  /** True when this submission already has a grade (resume skips it). */
  isGraded(student: string, notebook: string): boolean {
    return this.db.prepare("SELECT 1 FROM submissions WHERE student = ? AND notebook = ? AND status = 'graded'").get(student, notebook) !== undefined;
  }

  /** Records a graded submission, replacing whatever it had; its reason lists what went wrong in the run. */
  record(student: string, notebook: string, graded: GradedNotebook): void {
    const now = new Date().toISOString();
    const failed = graded.errors.map((e) => `cell ${e.cell} failed: ${e.message}`);
    this.replace(student, notebook, "graded", [...graded.log, ...failed].join("; "), graded.seconds, graded.grades, now);
  }

  /** Records a submission that could not be graded: each of its check cells scores 0 with the reason. */
  recordError(student: string, notebook: string, reason: string, gradeCells: Array<{ gradeId: string; maxPoints: number }>): void {
    const grades: GradeCellResult[] = (gradeCells.length ? gradeCells : [{ gradeId: "-", maxPoints: 0 }]).map((g) => ({ gradeId: g.gradeId, points: 0, maxPoints: g.maxPoints, reason, checks: [] }));
    this.replace(student, notebook, "error", reason, 0, grades, new Date().toISOString());
  }

  private replace(student: string, notebook: string, status: "graded" | "error", reason: string, seconds: number, grades: GradeCellResult[], now: string): void {
    this.db.transaction(() => {
      for (const table of ["submissions", "grades", "checks"]) this.db.prepare(`DELETE FROM ${table} WHERE student = ? AND notebook = ?`).run(student, notebook);
      this.db.prepare("INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?)").run(student, notebook, status, reason, seconds, now);
      const grade = this.db.prepare("INSERT INTO grades VALUES (?, ?, ?, ?, ?, ?)");
      const check = this.db.prepare("INSERT OR REPLACE INTO checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      for (const g of grades) {
        grade.run(student, notebook, g.gradeId, g.points, g.maxPoints, g.reason);
        const share = g.checks.length ? g.maxPoints / g.checks.length : 0;
        for (const c of g.checks) check.run(student, notebook, g.gradeId, c.name, c.hidden ? 1 : 0, c.passed ? 1 : 0, c.passed ? share : 0, share, c.message ?? "", now);
      }
    })();
  }

  /** Sets a grade cell's points by hand; it survives regrading until cleared (points undefined). */
  override(student: string, notebook: string, gradeId: string, points: number | undefined, comment = ""): void {
    if (points === undefined) this.db.prepare("DELETE FROM overrides WHERE student = ? AND notebook = ? AND grade_id = ?").run(student, notebook, gradeId);
    else this.db.prepare("INSERT OR REPLACE INTO overrides VALUES (?, ?, ?, ?, ?, ?)").run(student, notebook, gradeId, points, comment, new Date().toISOString());
  }

  /** Every grade cell of every submission, an override's points in place of the computed ones. */
  grades(): GradeRow[] {
    return this.db.prepare(`
      SELECT g.student, g.notebook, g.grade_id, COALESCE(o.points, g.points) AS points, g.max_points,
             CASE WHEN o.points IS NULL THEN g.reason ELSE 'set by hand' || CASE WHEN o.comment = '' THEN '' ELSE ': ' || o.comment END END AS reason
      FROM grades g LEFT JOIN overrides o USING (student, notebook, grade_id)
      ORDER BY g.student, g.notebook, g.grade_id`).all() as GradeRow[];
  }

  /** The checks of one submission, in the order they ran. */
  checks(student: string, notebook: string): CheckRow[] {
    return this.db.prepare("SELECT grade_id, check_name, hidden, passed, points, max_points, reason FROM checks WHERE student = ? AND notebook = ? ORDER BY rowid").all(student, notebook) as CheckRow[];
  }

  /** Every submission with its status. */
  submissions(): Array<{ student: string; notebook: string; status: string; reason: string; seconds: number }> {
    return this.db.prepare("SELECT student, notebook, status, reason, seconds FROM submissions ORDER BY student, notebook").all() as Array<{ student: string; notebook: string; status: string; reason: string; seconds: number }>;
  }

  close(): void {
    this.db.close();
  }
}

/** A submission as the reports read it: its status, its grade rows (overrides applied) and its checks. */
export interface SubmissionReport {
  student: string;
  notebook: string;
  status: string;
  reason: string;
  rows: GradeRow[];
  checks: CheckRow[];
}

/** Calls `report` with every submission of the gradebook in `out`, and returns how many there were. */
export function eachSubmission(out: string, report: (s: SubmissionReport) => void): number {
  const book = Gradebook.open(join(out, "gradebook.sqlite"));
  try {
    const grades = book.grades();
    const all = book.submissions();
    for (const s of all) report({ ...s, rows: grades.filter((g) => g.student === s.student && g.notebook === s.notebook), checks: book.checks(s.student, s.notebook) });
    return all.length;
  } finally {
    book.close();
  }
}

/** The grades as grades.csv: exactly `student,notebook,grade_id,points,max_points,reason`, RFC 4180 quoting. */
export function gradesCsv(rows: GradeRow[]): string {
  const field = (v: string | number) => {
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = rows.map((r) => [r.student, r.notebook, r.grade_id, r.points, r.max_points, r.reason].map(field).join(","));
  return ["student,notebook,grade_id,points,max_points,reason", ...lines].join("\r\n") + "\r\n";
}
