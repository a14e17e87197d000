import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";

/** One exported name of a module, and whether any other file imports it. */
interface ModuleExports {
  /** Names the module declares and exports itself. */
  own: Set<string>;
  /** Modules whose exports it passes on whole (`export * from`), and names it passes on one by one. */
  reexportAll: string[];
  reexported: Map<string, { from: string; name: string }>;
}

const hasExport = (node: ts.Node) =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** The module a relative specifier names, as a repository path, or undefined for packages. */
export function resolveImport(root: string, from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = path.normalize(path.join(path.dirname(from), specifier)).replace(/\.ts$/, "");
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts")]) if (fs.existsSync(path.join(root, candidate))) return candidate;
  return undefined;
}

/**
 * The exports of the given TypeScript files that no other file imports (by name, or through
 * `import *`), following `export *` and `export { … } from` re-exports. A module that `export =`
 * (the program) and the files listed as entry points are read by tools, not imported, and are skipped.
 */
export function unusedExports(root: string, files: readonly string[], entryPoints: readonly string[]): string[] {
  const modules = new Map<string, ModuleExports>();
  const used = new Set<string>();
  const usedWhole = new Set<string>();
  const sources = files.map((file) => ({
    file,
    source: ts.createSourceFile(file, fs.readFileSync(path.join(root, file), "utf8"), ts.ScriptTarget.Latest, true),
  }));

  for (const { file, source } of sources) {
    const module: ModuleExports = { own: new Set(), reexportAll: [], reexported: new Map() };
    modules.set(file, module);
    for (const statement of source.statements) {
      if (ts.isExportDeclaration(statement)) {
        const target = statement.moduleSpecifier && resolveImport(root, file, (statement.moduleSpecifier as ts.StringLiteral).text);
        if (target && !statement.exportClause) module.reexportAll.push(target);
        else if (statement.exportClause && ts.isNamedExports(statement.exportClause)) {
          for (const element of statement.exportClause.elements) {
            const name = (element.propertyName ?? element.name).text;
            if (target) module.reexported.set(element.name.text, { from: target, name });
            else module.own.add(element.name.text);
          }
        }
      } else if (ts.isExportAssignment(statement)) {
        usedWhole.add(file);
      } else if (hasExport(statement)) {
        if (ts.isVariableStatement(statement)) {
          for (const declaration of statement.declarationList.declarations) {
            if (ts.isIdentifier(declaration.name)) module.own.add(declaration.name.text);
          }
        } else {
          const name = (statement as ts.DeclarationStatement).name;
          if (name && ts.isIdentifier(name)) module.own.add(name.text);
        }
      }
    }
  }

  const markUsed = (file: string, name: string, seen = new Set<string>()): void => {
    const key = `${file}#${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    used.add(key);
    const module = modules.get(file);
    if (!module) return;
    const named = module.reexported.get(name);
    if (named) markUsed(named.from, named.name, seen);
    if (!module.own.has(name)) for (const from of module.reexportAll) markUsed(from, name, seen);
  };

  for (const { file, source } of sources) {
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node)) {
        const target = resolveImport(root, file, (node.moduleSpecifier as ts.StringLiteral).text);
        const bindings = node.importClause?.namedBindings;
        if (target && bindings && ts.isNamespaceImport(bindings)) usedWhole.add(target);
        if (target && bindings && ts.isNamedImports(bindings)) {
          for (const element of bindings.elements) markUsed(target, (element.propertyName ?? element.name).text);
        }
      } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]!)) {
        // `require(…)` and `import(…)` of a module: every export may be read.
        const callee = node.expression;
        if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require")) {
          const target = resolveImport(root, file, node.arguments[0].text);
          if (target) usedWhole.add(target);
        }
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        const target = resolveImport(root, file, node.argument.literal.text);
        if (target && node.qualifier && ts.isIdentifier(node.qualifier)) markUsed(target, node.qualifier.text);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }

  const whole = (file: string, seen = new Set<string>()): boolean =>
    usedWhole.has(file) ||
    entryPoints.includes(file) ||
    [...modules].some(
      ([other, module]) => module.reexportAll.includes(file) && !seen.has(other) && whole(other, new Set([...seen, other])),
    );
  return [...modules].flatMap(([file, module]) =>
    whole(file) ? [] : [...module.own].filter((name) => !used.has(`${file}#${name}`)).map((name) => `${file}: ${name}`),
  );
}
