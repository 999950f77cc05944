// Types for bundle-stats.mjs (plain JavaScript so that `npm run build` needs nothing but node).
export interface StatsModule {
  name?: string;
  chunks?: (string | number)[];
  modules?: StatsModule[];
  reasons?: { moduleName?: string | null; resolvedModule?: string | null; type?: string }[];
}
export interface Stats {
  modules?: StatsModule[];
}
export function bundledPackages(stats: Stats): string[];
export function licensesText(stats: Stats, root: string): string;
export function standInMisuse(stats: Stats): string[];
