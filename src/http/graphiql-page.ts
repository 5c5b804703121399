/**
 * GraphiQL, loaded on its first visit. @graphql-yoga/render-graphiql carries the whole editor as
 * ~9 MB of JavaScript in one module, and once imported V8 keeps its source text and strings (about
 * 30 MB of heap) for the life of the process: a server on which nobody opens GraphiQL never pays.
 */
import type { GraphiQLOptions } from 'graphql-yoga';

let module: Promise<typeof import('@graphql-yoga/render-graphiql')> | null = null;

export async function renderGraphiQLOnDemand(options: GraphiQLOptions): Promise<string> {
  module ??= import('@graphql-yoga/render-graphiql');
  return (await module).renderGraphiQL(options);
}
