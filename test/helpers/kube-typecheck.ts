/**
 * Strict field checking for Kubernetes objects: what the API server's `fieldValidation=Strict` (and
 * kubectl's default) refuses, and kubernetes-models' validators let through, a field the schema does
 * not know (`readinesProbe`, a `port` one level too deep). It type-checks each object, as an object
 * literal, against kubernetes-models' TypeScript interfaces (generated from the same Kubernetes
 * OpenAPI schemas), so that the compiler's excess-property check finds unknown fields at any depth.
 */
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

interface TypedObject {
  apiVersion: string;
  kind: string;
}

/**
 * The compiler's complaints about `objects`, one line each (`<kind>/<name>: message`); empty when every
 * field of every object is one its schema has, with the right type. `root` is where node_modules is.
 */
export function typeErrors(objects: readonly TypedObject[], root: string): string[] {
  const file = resolve(root, 'test', '__kube_objects__.ts');
  const lines: string[] = [];
  const labels: string[] = [];
  objects.forEach((o, i) => {
    // kubernetes-models/<apiVersion>/<Kind> exports the interface I<Kind>.
    lines.push(`import type { I${o.kind} as T${i} } from 'kubernetes-models/${o.apiVersion}/${o.kind}';`);
  });
  objects.forEach((o, i) => {
    labels.push(`${o.kind}/${(o as { metadata?: { name?: string } }).metadata?.name ?? '?'}`);
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(o)};`);
  });
  const text = lines.join('\n');

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    resolve(name) === file ? ts.createSourceFile(name, text, languageVersion) : getSourceFile(name, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => resolve(name) === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (resolve(name) === file ? text : readFile(name));
  // An ES module for NodeNext resolution: the package.json above test/ says "type": "module".
  host.getCurrentDirectory = () => dirname(file);

  const program = ts.createProgram([file], options, host);
  const source = program.getSourceFile(file)!;
  return ts.getPreEmitDiagnostics(program, source).map((d) => {
    const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
    const statement = line - objects.length; // the imports come first, one line each
    const label = statement >= 0 ? labels[statement] : 'import';
    return `${label}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}
