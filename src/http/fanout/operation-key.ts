/**
 * Which subscriptions may share one execution, and under which key.
 *
 * An operation is shareable when it is a subscription with a single root field that registered
 * as a shared stream (src/stream/shared-streams.ts) and sets none of its private arguments (a
 * resume with `after` replays for one client). Two shareable operations get the same key
 * when they would produce the same events: same field and alias, same arguments after coercion
 * (defaults applied, set arguments such as `symbols` sorted and de-duplicated), same selection
 * below the field (with the values of the variables it uses), and the same visibility key (who
 * may see what; the auth layer sets `context.visibilityKey`). Query text, whitespace, operation
 * names and unrelated variables do not matter.
 *
 * The shape key is the key without the set arguments: groups of one shape render an event of one
 * symbol identically, so they can share its execution.
 */
import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  Kind,
  OperationTypeNode,
  print,
  visit,
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type GraphQLField,
} from 'graphql';
import { sharedStreamOf, type SharedStreamSpec } from '../../stream/shared-streams.js';

/** What is fixed per (document, operation name): computed once, cached on the document. */
interface OperationShape {
  field: GraphQLField<unknown, unknown>;
  fieldNode: FieldNode;
  responseKey: string;
  spec: SharedStreamSpec;
  /** the printed selection below the root field, with every fragment of the document */
  selection: string;
  /** variables used below the root field (their values change what is rendered) */
  selectionVariables: string[];
  variableDefinitions: NonNullable<ReturnType<typeof getOperationAST>>['variableDefinitions'];
}

export interface SharedOperation {
  /** equal keys: equal event streams */
  key: string;
  /** equal shape keys: an event of one key renders the same */
  shapeKey: string;
  fieldName: string;
  spec: SharedStreamSpec;
}

const shapeCache = new WeakMap<DocumentNode, Map<string, OperationShape | null>>();

/** The sharing keys of an operation, or null when it must take the ordinary path. */
export function sharedOperation(args: ExecutionArgs, visibilityKey: string): SharedOperation | null {
  const shape = operationShape(args);
  if (!shape) return null;

  const variables = getVariableValues(args.schema, shape.variableDefinitions ?? [], args.variableValues ?? {});
  if (!variables.coerced) return null; // the ordinary path reports the variable errors
  let fieldArgs: Record<string, unknown>;
  try {
    fieldArgs = getArgumentValues(shape.field, shape.fieldNode, variables.coerced);
  } catch {
    return null; // likewise for argument errors
  }

  if (shape.spec.privateArgs?.some((name) => fieldArgs[name] != null)) return null;
  const setArgs = shape.spec.setArgs ?? [];
  const sets: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fieldArgs)) {
    if (setArgs.includes(name)) sets[name] = Array.isArray(value) ? normalizeSet(value) : value;
    else rest[name] = value;
  }
  const selectionValues = shape.selectionVariables.map((name) => variables.coerced[name] ?? null);
  const shapeKey = JSON.stringify([shape.field.name, shape.responseKey, rest, shape.selection, selectionValues, visibilityKey]);
  return { key: `${shapeKey}\n${JSON.stringify(sets)}`, shapeKey, fieldName: shape.field.name, spec: shape.spec };
}

/** Sorted, without repeats: ["B","A","B"] and ["A","B"] ask for the same thing. */
function normalizeSet(values: unknown[]): unknown[] {
  const byText = new Map<string, unknown>();
  for (const v of values) byText.set(JSON.stringify(v), v);
  return [...byText.keys()].sort().map((k) => byText.get(k));
}

function operationShape(args: ExecutionArgs): OperationShape | null {
  const name = args.operationName ?? '';
  let perDocument = shapeCache.get(args.document);
  if (!perDocument) {
    perDocument = new Map();
    shapeCache.set(args.document, perDocument);
  }
  let shape = perDocument.get(name);
  if (shape === undefined) {
    shape = computeShape(args);
    perDocument.set(name, shape);
  }
  // the schema is fixed for the life of the server, but be strict: a field from another schema never matches
  return shape && args.schema.getSubscriptionType()?.getFields()[shape.field.name] === shape.field ? shape : null;
}

function computeShape({ schema, document, operationName }: ExecutionArgs): OperationShape | null {
  const operation = getOperationAST(document, operationName);
  if (!operation || operation.operation !== OperationTypeNode.SUBSCRIPTION) return null;
  const selections = operation.selectionSet.selections;
  const root = selections[0];
  // one plain root field: no fragments, aliases are fine, directives (@skip/@include) are not
  if (selections.length !== 1 || root?.kind !== Kind.FIELD || root.directives?.length) return null;
  const field = schema.getSubscriptionType()?.getFields()[root.name.value];
  const spec = field && sharedStreamOf(field);
  if (!spec) return null;

  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  const selectionVariables = new Set<string>();
  const collect = { Variable: (node: { name: { value: string } }) => void selectionVariables.add(node.name.value) };
  if (root.selectionSet) visit(root.selectionSet, collect);
  for (const fragment of fragments) visit(fragment, collect);

  return {
    field,
    fieldNode: root,
    responseKey: root.alias?.value ?? root.name.value,
    spec,
    selection: [root.selectionSet ? print(root.selectionSet) : '', ...fragments.map((f) => print(f))].join('\n'),
    selectionVariables: [...selectionVariables].sort(),
    variableDefinitions: operation.variableDefinitions,
  };
}
