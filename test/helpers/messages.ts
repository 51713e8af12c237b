import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

/**
 * Every message a user can meet, collected from the code rather than listed by hand, so that a
 * new refusal or warning shows up here the day it is written. A message is a string or template
 * literal in a place where the provider says something to the user:
 * - the text of an error it throws or returns (`new …Error(text)`), or of a check failure
 *   (`reason:`), a field's problem (`problem:`), a health note (`note:`) or a refusal (`fail`, `refuse`, `no`);
 * - a warning or note in the run's output (`warn`, `note`, `info`, `sink`, `notes.push`);
 * - what a message builder returns (a function named …Message, …Reason, …Because or why…) and the hints and
 *   rules held as constants (`…HINT…`, `…RULE…`, `CHECK_URL`, `CLEAR_PENDING`), which end many messages.
 * The fixes of single fields (`FIX`, `TIME_FIX`, `ADOPT_FIX`) are left out: they are the end of a
 * field's refusal, whose problem is collected.
 */
export type Message = { file: string; line: number; text: string; fragment: string; pieces: string[] };

const SAYS = new Set(["warn", "note", "info", "sink", "fail", "refuse", "no"]);
const KEYS = new Set(["reason", "problem", "note"]);
const CONSTANT = /^[A-Z][A-Z0-9_]*$/;
const CONSTANT_SAYS = /HINT|RULE|CHECK_URL|CLEAR_PENDING/;
const BUILDER = /(Message|Reason|Because)$|^why[A-Z]/;

type Literal = ts.StringLiteral | ts.NoSubstitutionTemplateLiteral | ts.TemplateExpression;
const isLiteral = (n: ts.Node): n is Literal => ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateExpression(n);
const isPlus = (n: ts.Node): n is ts.BinaryExpression => ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.PlusToken;

/** The static pieces of a string or template literal, `${…}` parts left out. */
function pieces(node: Literal): string[] {
  if (!ts.isTemplateExpression(node)) return [node.text];
  return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)];
}

/** The pieces of a message written as literals joined by `+`, read as one sentence. */
function joined(node: ts.Node): string[] {
  if (isPlus(node)) return [...joined(node.left), ...joined(node.right)];
  if (ts.isParenthesizedExpression(node)) return joined(node.expression);
  if (isLiteral(node)) return pieces(node);
  return [];
}

/** A literal whose parent only tests a value (`m.includes("not found")`) says nothing. */
function tests(node: ts.Node): boolean {
  const call = node.parent;
  return ts.isCallExpression(call) && ts.isPropertyAccessExpression(call.expression) && /^(includes|startsWith|endsWith|test|match)$/.test(call.expression.name.text);
}

/**
 * The fragment a reader recognises: the longest static piece, at most its first eight words,
 * with the punctuation at its ends trimmed. Undefined when the literal is all placeholders
 * (`${head}; ${next}`): it only joins messages collected elsewhere.
 */
export function fragmentOf(parts: string[]): string | undefined {
  const longest = parts.map((p) => p.replace(/\s+/g, " ").trim()).sort((a, b) => b.length - a.length)[0] ?? "";
  const words = longest.split(" ").slice(0, 8).join(" ").replace(/^[\s;:,.()"'`]+|[\s;:,(("'`]+$/g, "");
  // One word is a property name or a kind passed along (`refuse("apiEndpoints", …)`), not a message.
  return /[a-z]{2,}/i.test(words) && words.includes(" ") && words.length >= 8 ? words : undefined;
}

const norm = (s: string) => s.replace(/`/g, "").replace(/\s+/g, " ").trim().toLowerCase();

/**
 * A fragment that names this message and no other: eight words can be shared by two messages
 * ("a run of this stack was cut short …" begins two), and then an entry for one would pass for
 * both. So the fragment grows, word by word and piece by piece (longest first), until no other
 * message's fixed text holds it; a message that no such fragment tells apart keeps its longest
 * piece whole. Messages with the same fixed text (one rule said by two doors) share a fragment.
 */
export function uniqueFragment(message: Pick<Message, "fragment" | "pieces">, all: Pick<Message, "pieces">[]): string {
  const own = norm(message.pieces.join(" "));
  const others = all.map((m) => norm(m.pieces.join(" "))).filter((t) => t !== own);
  const clean = (w: string) => w.replace(/^[\s;:,.()"'`]+|[\s;:,("'`]+$/g, "");
  const ranked = message.pieces.map((p) => p.replace(/\s+/g, " ").trim()).sort((a, b) => b.length - a.length);
  for (const piece of ranked) {
    const words = piece.split(" ");
    for (let n = Math.min(8, words.length); n <= words.length; n++) {
      const candidate = clean(words.slice(0, n).join(" "));
      if (candidate.includes(" ") && candidate.length >= 8 && !others.some((t) => t.includes(norm(candidate)))) return candidate;
    }
  }
  return clean(ranked[0] ?? message.fragment);
}

/** Whether `node` sits where the provider says something to the user. */
function saying(node: ts.Node): boolean {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && /Error$/.test(n.expression.text)) return true;
    if (ts.isCallExpression(n)) {
      const callee = n.expression;
      if (ts.isIdentifier(callee) && SAYS.has(callee.text)) return true;
      if (callee.kind === ts.SyntaxKind.SuperKeyword) return true;
      if (ts.isPropertyAccessExpression(callee) && callee.name.text === "push" && ts.isIdentifier(callee.expression) && callee.expression.text === "notes") return true;
    }
    if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && KEYS.has(n.name.text)) return true;
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && CONSTANT.test(n.name.text)) return CONSTANT_SAYS.test(n.name.text);
    if ((ts.isFunctionDeclaration(n) || ts.isVariableDeclaration(n)) && n.name && ts.isIdentifier(n.name) && BUILDER.test(n.name.text)) return true;
    if (ts.isFunctionDeclaration(n) || ts.isSourceFile(n)) return false;
  }
  return false;
}

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : files(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** Every message of the code under `dirs` (relative to `root`). */
export function collectMessages(root: string, dirs: string[]): Message[] {
  const out: Message[] = [];
  for (const file of dirs.flatMap((d) => files(path.join(root, d)))) {
    const src = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (isPlus(node) && joined(node).length > 0 && !isPlus(node.parent) && saying(node)) {
        const fragment = fragmentOf(joined(node));
        if (fragment !== undefined) {
          const line = src.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          out.push({ file: path.relative(root, file), line, text: node.getText().slice(0, 400), fragment, pieces: joined(node) });
        }
      }
      if (isLiteral(node) && !isPlus(node.parent) && !tests(node) && saying(node)) {
        const fragment = fragmentOf(pieces(node));
        if (fragment !== undefined) {
          const line = src.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          out.push({ file: path.relative(root, file), line, text: node.getText().slice(0, 400), fragment, pieces: pieces(node) });
        }
        if (ts.isTemplateExpression(node)) node.templateSpans.forEach((s) => visit(s.expression));
        return;
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
  }
  return out.map((m) => ({ ...m, fragment: uniqueFragment(m, out) }));
}
