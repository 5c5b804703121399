/**
 * What introspection costs (docs/operations.md "Limits"). @pothos/plugin-complexity counts a root
 * `__schema` or `__type` field as 1 whatever it selects, so one request of many aliased copies of
 * the introspection query asked for hundreds of megabytes. Here each such field costs what it
 * returns from this schema: one per value (object, list item, scalar), found by walking the
 * schema the way graphql-js's introspection resolvers do, without building the result. Results
 * are memoised per (selection set, schema object), so fragments reused many times are walked once.
 */
import {
  getArgumentValues,
  getNamedType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

export interface Cost {
  complexity: number;
  depth: number;
}

const NONE: Cost = { complexity: 0, depth: 0 };

/** The cost of the root introspection fields of the operation `operationName` (0 when it has none). */
export function introspectionCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): Cost {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return NONE;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const memo = new Map<SelectionSetNode, WeakMap<object, Cost>>();
  const info = { schema } as GraphQLResolveInfo; // what the introspection resolvers read

  /** Cost of `selectionSet` on the value `source` of the introspection type `type`. */
  const objectCost = (selectionSet: SelectionSetNode, type: GraphQLObjectType, source: object): Cost => {
    let bySource = memo.get(selectionSet);
    const known = bySource?.get(source);
    if (known) return known;
    let complexity = 0;
    let depth = 0;
    for (const selection of selectionSet.selections) {
      let cost: Cost;
      if (selection.kind === Kind.FIELD) {
        const field = type.getFields()[selection.name.value];
        cost = field && selection.selectionSet ? fieldCost(field, selection.selectionSet, source, selection) : { complexity: 1, depth: 1 };
      } else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        const condition = fragment?.typeCondition?.name.value;
        cost = fragment && (!condition || condition === type.name) ? objectCost(fragment.selectionSet, type, source) : NONE;
      }
      complexity += cost.complexity;
      depth = Math.max(depth, cost.depth);
    }
    const cost = { complexity, depth };
    if (!bySource) memo.set(selectionSet, (bySource = new WeakMap()));
    bySource.set(source, cost);
    return cost;
  };

  /** 1 for the field, plus each value it returns (every list item) with its selection. */
  const fieldCost = (
    field: GraphQLField<unknown, unknown>,
    selectionSet: SelectionSetNode,
    source: unknown,
    node: Parameters<typeof getArgumentValues>[1],
  ): Cost => {
    const type = getNamedType(field.type);
    let value: unknown;
    try {
      const args = getArgumentValues(field, node, variables);
      value = field.resolve ? field.resolve(source, args, undefined, info) : (source as Record<string, unknown>)[field.name];
    } catch {
      return { complexity: 1, depth: 1 };
    }
    const values = Array.isArray(value) ? value : [value];
    let complexity = 1;
    let depth = 0;
    for (const item of values) {
      if (item === null || typeof item !== 'object' || !isObjectType(type)) continue;
      const cost = objectCost(selectionSet, type, item as object);
      complexity += cost.complexity;
      depth = Math.max(depth, cost.depth);
    }
    return { complexity, depth: depth + 1 };
  };

  /** Root selections: `__schema` and `__type` fields, also inside fragments; other fields are Pothos's. */
  const rootMemo = new Map<SelectionSetNode, Cost>();
  const rootCost = (selectionSet: SelectionSetNode): Cost => {
    const known = rootMemo.get(selectionSet);
    if (known) return known;
    let complexity = 0;
    let depth = 0;
    for (const selection of selectionSet.selections) {
      let cost = NONE;
      if (selection.kind === Kind.FIELD) {
        const meta = selection.name.value === '__schema' ? SchemaMetaFieldDef : selection.name.value === '__type' ? TypeMetaFieldDef : null;
        if (meta && selection.selectionSet) cost = fieldCost(meta, selection.selectionSet, undefined, selection);
      } else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (fragment) cost = rootCost(fragment.selectionSet);
      }
      complexity += cost.complexity;
      depth = Math.max(depth, cost.depth);
    }
    const cost = { complexity, depth };
    rootMemo.set(selectionSet, cost);
    return cost;
  };

  return rootCost(operation.selectionSet);
}
