/**
 * `npm run check:cycles` (run by CI): fails when the top-level folders of src/ import each other
 * in a circle, or when any two modules do. A folder cycle is a design smell even when no single
 * module cycle exists: the folders can no longer be read, tested or replaced one at a time.
 * The files directly in src/ (config.ts, logger.ts, main.ts, server.ts) count as one folder each.
 * It also keeps the AllTick protocol client (src/feed/alltick/) free of imports from the rest.
 */
import madge from 'madge';

const result = await madge('src', { fileExtensions: ['ts'], tsConfig: 'tsconfig.json', excludeRegExp: [/^dashboard\//] });
const modules = result.obj();

const folderOf = (file: string) => file.split('/')[0]!;
const folders = new Map<string, Set<string>>();
for (const [file, imports] of Object.entries(modules)) {
  const from = folderOf(file);
  const edges = folders.get(from) ?? new Set<string>();
  folders.set(from, edges);
  for (const target of imports) if (folderOf(target) !== from) edges.add(folderOf(target));
}

// The AllTick protocol client knows nothing of the rest: the simulator, the cluster and the feed build on it.
const ALLTICK = 'feed/alltick/';
const ALLTICK_MAY_USE = [ALLTICK, 'logger.ts'];
const leaks = Object.entries(modules).flatMap(([file, imports]) =>
  file.startsWith(ALLTICK)
    ? imports.filter((t) => !ALLTICK_MAY_USE.some((ok) => t.startsWith(ok))).map((t) => `${ALLTICK} must not import: ${file} → ${t}`)
    : [],
);

const folderCycles = cyclesIn(folders);

const problems = [
  ...folderCycles.map((c) => `folders ${c.members.join(', ')}: ${c.path.join(' → ')}`),
  ...cyclesIn(toSets(modules)).map((c) => `modules: ${c.path.join(' → ')}`),
  ...leaks,
];
if (problems.length > 0) {
  console.error(`import problems in src/:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`no import cycles: ${Object.keys(modules).length} modules in ${folders.size} folders`);

function toSets(graph: Record<string, string[]>): Map<string, Set<string>> {
  return new Map(Object.entries(graph).map(([k, v]) => [k, new Set(v)]));
}

/** A strongly connected component with more than one node, and one closed walk through it. */
interface Cycle {
  members: string[];
  path: string[];
}

/** Every cycle, one per strongly connected component (Tarjan). */
function cyclesIn(graph: Map<string, Set<string>>): Cycle[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component);
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return components.map((component) => ({ members: component.sort(), path: pathWithin(graph, new Set(component)) }));
}

/** A closed walk through a strongly connected component, from its first member back to it. */
function pathWithin(graph: Map<string, Set<string>>, members: Set<string>): string[] {
  const start = [...members].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of graph.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start];
}
