import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import type { Context } from './context.js';
import { fieldComplexity } from './complexity.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    Decimal: { Input: string; Output: string };
    DateTime: { Input: Date; Output: number | Date };
  };
}>({
  plugins: [ComplexityPlugin],
  defaultFieldNullability: false,
  // costs only: limits are enforced per request, before execution (src/http/use-operation-guards.ts),
  // so no resolver — nor any subscription event — pays for a check
  complexity: { fieldComplexity, disabled: true },
});

builder.queryType({});
builder.subscriptionType({});
