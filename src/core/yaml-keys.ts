/**
 * Duplicate keys in linear time. The yaml library's own `uniqueKeys` check compares each key with every earlier
 * key of its mapping: quadratic in the size of a mapping (a 5.8 MB runbook did not finish in 60 s). Parse with
 * `uniqueKeys: false` and call this instead.
 */
import YAML from 'yaml';

/** The first key repeated within one mapping (scalar keys compared by type and value), in one pass. */
export function findDuplicateKey(
  doc: YAML.Node | YAML.Document,
): { key: string; offset?: number } | undefined {
  let found: { key: string; offset?: number } | undefined;
  YAML.visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = pair.key;
        if (!YAML.isScalar(key)) continue;
        const id = `${typeof key.value}:${String(key.value)}`;
        if (seen.has(id)) {
          found = { key: String(key.value), offset: key.range?.[0] };
          return YAML.visit.BREAK;
        }
        seen.add(id);
      }
      return undefined;
    },
  });
  return found;
}
