import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "../..");

/** The first sentence of a description: up to the first full stop that a capital follows. */
const firstSentence = (text: string) => text.replace(/\s+/g, " ").trim().split(/(?<=\.)\s+(?=[A-Z])/)[0]!;

/** The doc comment of each member of a declaration in sdk/access-token.ts, by member name. */
function comments(declaration: string): Map<string, string> {
  const file = path.join(ROOT, "sdk/access-token.ts");
  const src = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found = new Map<string, string>();
  const visit = (node: ts.Node): void => {
    if ((ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node)) && node.name?.text === declaration) {
      for (const member of node.members) {
        if (!member.name || !ts.isIdentifier(member.name)) continue;
        const doc = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc).map((d) => ts.getTextOfJSDocComment(d.comment) ?? "").join(" ");
        found.set(member.name.text, doc);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return found;
}

/**
 * Issue 21 item 15: plugin/schema.json is the one source of each input's and output's
 * description (docs/reference.md and both generated SDKs come from it); the dynamic provider's
 * SDK, written by hand, says the same, so a TypeScript user's editor tells what the reference does.
 */
describe("sdk/access-token.ts says what plugin/schema.json says", () => {
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, "plugin/schema.json"), "utf8"));
  const resource = schema.resources["commvault:index:AccessToken"];
  const described = (props: Record<string, { description?: string }>) => Object.entries(props).filter(([, p]) => p.description);

  test.each([
    ["input", "AccessTokenArgs", "inputProperties"],
    ["output", "AccessToken", "properties"],
  ])("each documented %s has the schema's first sentence in its comment", (_kind, declaration, key) => {
    const docs = comments(declaration);
    const props = described(resource[key]);
    expect(props.length).toBeGreaterThan(10);
    const wrong = props
      .filter(([name, p]) => !firstSentence(docs.get(name) ?? "").startsWith(firstSentence(p.description!)))
      .map(([name, p]) => `${declaration}.${name}: the comment ${JSON.stringify(firstSentence(docs.get(name) ?? "(none)"))} should begin ${JSON.stringify(firstSentence(p.description!))}`);
    expect(wrong).toEqual([]);
  });

  test("the first sentence stops at a full stop followed by a capital, not inside one", () => {
    expect(firstSentence("The token secret (the bootstrap pair). Absent with sealTo.")).toBe("The token secret (the bootstrap pair).");
    expect(firstSentence("An RFC 3339 time, such as 2026-01-01. default")).toBe("An RFC 3339 time, such as 2026-01-01. default");
  });
});
