import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { apiRoutes } from '../http/server.js';
import { NOT_EMULATED } from './not-emulated.js';
import { operationKey } from './operation-key.js';
import type { ObjectField, ParamSchema, TrimmedSpec } from './trimmed-spec.js';

/**
 * `npm -w @paygraph/stripe-local run spec:extract`: writes stripe-openapi.json, the part of Stripe's OpenAPI
 * description this emulator serves, from the installed stripe SDK's type definitions (which Stripe generates
 * from that spec for the SDK's pinned API version; the spec3.json itself is not available here).
 */
const RESOURCES = [
  'Customers',
  'Tokens',
  'PaymentMethods',
  'SetupIntents',
  'PaymentIntents',
  'Charges',
  'Refunds',
  'Disputes',
  'Events',
  'WebhookEndpoints',
];
/** The objects whose fields the shapes test compares, with the SDK file and interface that describe them. */
const OBJECTS: Record<string, [file: string, name: string]> = {
  payment_intent: ['PaymentIntents', 'PaymentIntent'],
  setup_intent: ['SetupIntents', 'SetupIntent'],
  payment_method: ['PaymentMethods', 'PaymentMethod'],
  charge: ['Charges', 'Charge'],
  refund: ['Refunds', 'Refund'],
  event: ['Events', 'EventBase'],
};
/** Of the fields an object has for one kind only (one per payment method, per next action), those it emulates. */
const EMULATED_KINDS = new Set(['card', 'redirect_to_url']);
/** Object fields are described three levels down (charge.payment_method_details.card); deeper only by type. */
const OBJECT_DEPTH = 3;

const stripeRoot = path.join(path.dirname(createRequire(import.meta.url).resolve('stripe')), '..');
const resourceDir = path.join(stripeRoot, 'esm', 'resources');
const program = ts.createProgram(
  RESOURCES.map((name) => path.join(resourceDir, `${name}.d.ts`)),
  { strict: true, noEmit: true },
);
const checker = program.getTypeChecker();

/** `methodName(...) { return this._makeRequest('POST', `/v1/x/${encodeURIComponent(id)}`...` in the SDK's JavaScript. */
function endpoints(resource: string): Map<string, { method: string; path: string }> {
  const source = readFileSync(path.join(resourceDir, `${resource}.js`), 'utf8');
  const found = new Map<string, { method: string; path: string }>();
  const call = /^ {4}(\w+)\([^)]*\) \{\n\s+return this\._makeRequest\('(\w+)', [`'](.*?)[`']/gm;
  for (const [, name, method, template] of source.matchAll(call))
    found.set(name!, {
      method: method!.toLowerCase(),
      path: template!.replace(/\$\{encodeURIComponent\((\w+)\)\}/g, '{$1}'),
    });
  return found;
}

function declarationsOf(file: string): ts.SourceFile {
  return program.getSourceFile(path.join(resourceDir, `${file}.d.ts`))!;
}

const isLiteral = (type: ts.Type): type is ts.StringLiteralType => (type.flags & ts.TypeFlags.StringLiteral) !== 0;

/** A request parameter's type as a small JSON schema: form values are strings, so only the shape and enums matter. */
function paramSchema(type: ts.Type, notEmulated: Set<string>, at: string, depth = 0): ParamSchema {
  if (depth > 24) throw new Error(`parameters nested too deeply at ${at}`);
  if (type.isUnion() && !(type.flags & ts.TypeFlags.Boolean)) {
    const members = type.types.filter((member) => !(member.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
    const emptyable = members.some((member) => isLiteral(member) && member.value === '');
    const rest = members.filter((member) => !(isLiteral(member) && member.value === ''));
    const booleans = rest.filter((member) => member.flags & ts.TypeFlags.BooleanLiteral);
    const others = rest.filter((member) => !(member.flags & ts.TypeFlags.BooleanLiteral));
    const branches: ParamSchema[] = [];
    if (booleans.length) branches.push({ type: 'boolean' });
    const literals = others.filter(isLiteral);
    // An "open" enum (`| OtherString`) may gain values in later versions; for the pinned one, its values are these.
    if (literals.length) branches.push({ type: 'string', enum: literals.map((member) => member.value) });
    for (const member of others)
      if (!isLiteral(member) && !(member.flags & ts.TypeFlags.Intersection))
        branches.push(paramSchema(member, notEmulated, at, depth + 1));
    const schema = branches.length === 1 ? branches[0]! : { anyOf: branches };
    return emptyable ? { ...schema, emptyable: true } : schema;
  }
  if (type.flags & (ts.TypeFlags.String | ts.TypeFlags.Intersection)) return { type: 'string' };
  if (isLiteral(type)) return { type: 'string', enum: [type.value] };
  // The SDK types every numeric parameter of these endpoints as `number`; Stripe's spec says integer.
  if (type.flags & ts.TypeFlags.Number) return { type: 'integer' };
  if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return { type: 'boolean' };
  if (checker.isArrayType(type))
    return {
      type: 'array',
      items: paramSchema(checker.getTypeArguments(type as ts.TypeReference)[0]!, notEmulated, `${at}[]`, depth + 1),
    };
  const index = type.getStringIndexType();
  if (index) return { type: 'object', additionalProperties: paramSchema(index, notEmulated, `${at}[]`, depth + 1) };
  const properties: Record<string, ParamSchema> = {};
  const required: string[] = [];
  for (const property of checker.getPropertiesOfType(type)) {
    const name = property.getName();
    const nested = at === '' ? name : `${at}[${name}]`;
    if (!(property.flags & ts.SymbolFlags.Optional)) required.push(name);
    // What the emulator does not emulate is recorded by name only: the file stays small.
    properties[name] = notEmulated.has(nested)
      ? { 'x-not-emulated': true }
      : paramSchema(checker.getTypeOfSymbol(property), notEmulated, nested, depth + 1);
  }
  return { type: 'object', properties, ...(required.length && { required }) };
}

/** An object's fields: type names, nullable, and (down to OBJECT_DEPTH) the fields of nested objects. */
function objectFields(type: ts.Type, depth: number): Record<string, ObjectField> {
  const fields: Record<string, ObjectField> = {};
  for (const property of checker.getPropertiesOfType(type)) {
    const propertyType = checker.getTypeOfSymbol(property);
    const members = propertyType.isUnion() ? propertyType.types : [propertyType];
    const named = checker.typeToString(
      checker.getNonNullableType(propertyType),
      undefined,
      ts.TypeFormatFlags.NoTruncation,
    );
    const field: ObjectField = { type: named };
    if (members.some((member) => member.flags & ts.TypeFlags.Null)) field.nullable = true;
    if (property.flags & ts.SymbolFlags.Optional) field.optional = true;
    const nested = members.filter((member) => member.flags & ts.TypeFlags.Object && !checker.isArrayType(member));
    // A nested object is described in place; a whole resource (`string | Customer`) is only named by its type.
    const inline = nested.filter((member) => !member.getProperty('object') && !member.getStringIndexType());
    if (depth < OBJECT_DEPTH && inline.length === 1 && (!field.optional || EMULATED_KINDS.has(property.getName())))
      field.properties = objectFields(inline[0]!, depth + 1);
    fields[property.getName()] = field;
  }
  return fields;
}

function interfaceType(file: string, name: string): ts.Type {
  const declaration = declarationsOf(file).statements.find(
    (statement): statement is ts.InterfaceDeclaration =>
      ts.isInterfaceDeclaration(statement) && statement.name.text === name,
  );
  if (!declaration) throw new Error(`${file}.d.ts has no interface ${name}`);
  return checker.getTypeAtLocation(declaration);
}

function operations(): TrimmedSpec['paths'] {
  const served = new Set(apiRoutes.flat().map((route) => operationKey(route.method, route.path)));
  const paths: TrimmedSpec['paths'] = {};
  for (const resource of RESOURCES) {
    const file = declarationsOf(resource);
    const resourceClass = file.statements.find(ts.isClassDeclaration)!;
    const urls = endpoints(resource);
    for (const member of resourceClass.members) {
      if (!ts.isMethodDeclaration(member)) continue;
      const name = member.name.getText(file);
      const url = urls.get(name);
      const params = member.parameters.find((parameter) => parameter.name.getText(file) === 'params');
      if (!url || !params?.type) continue;
      const key = `${url.method.toUpperCase()} ${url.path}`;
      if (!served.has(operationKey(url.method, url.path))) continue;
      const schema = paramSchema(checker.getTypeFromTypeNode(params.type), new Set(NOT_EMULATED[key] ?? []), '');
      (paths[url.path] ??= {})[url.method] = { operationId: `${resource}.${name}`, parameters: schema };
    }
  }
  return paths;
}

/** One line per operation and per object, so that a refresh shows in a diff as what changed. */
function serialize({ info, paths, components }: TrimmedSpec): string {
  const entries = (record: object) =>
    Object.entries(record)
      .map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`)
      .join(',\n');
  return `{"info": ${JSON.stringify(info)},\n"paths": {\n${entries(paths)}\n},\n"components": {"schemas": {\n${entries(components.schemas)}\n}}}\n`;
}

/** The trimmed description, as stripe-openapi.json holds it, from the installed SDK. */
export function extractSpec(): string {
  const pinned = readFileSync(path.join(stripeRoot, 'esm', 'apiVersion.js'), 'utf8').match(
    /ApiVersion = '([^']+)'/,
  )![1]!;
  const { version } = JSON.parse(readFileSync(path.join(stripeRoot, 'package.json'), 'utf8')) as { version: string };
  return serialize({
    info: {
      source: 'stripe (npm) type definitions, esm/resources/*.d.ts, generated by Stripe from stripe/openapi spec3.json',
      stripe: version,
      apiVersion: pinned,
      openapi: readFileSync(path.join(stripeRoot, 'OPENAPI_VERSION'), 'utf8').trim(),
      regenerate: 'npm -w @paygraph/stripe-local run spec:extract',
    },
    paths: operations(),
    components: {
      schemas: Object.fromEntries(
        Object.entries(OBJECTS).map(([object, [file, name]]) => [object, objectFields(interfaceType(file, name), 1)]),
      ),
    },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const text = extractSpec();
  writeFileSync(new URL('./stripe-openapi.json', import.meta.url), text);
  const { info, paths } = JSON.parse(text) as TrimmedSpec;
  console.log(`stripe-openapi.json: ${Object.keys(paths).length} paths, stripe ${info.stripe}, API ${info.apiVersion}`);
}
