// The part of madge's API that scripts/check-cycles.ts uses (madge ships no types).
declare module 'madge' {
  interface MadgeResult {
    /** module → the modules it imports, paths relative to the base directory */
    obj(): Record<string, string[]>;
  }
  export default function madge(path: string, config?: Record<string, unknown>): Promise<MadgeResult>;
}
