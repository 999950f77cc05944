#!/usr/bin/env bash
# dist/ and schema/ must be exactly what the build produces from the committed source.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
npm run -s build >/dev/null
node --import tsx scripts/gen-schema.ts --check
drift=$(git status --porcelain -- dist schema)
if [ -n "$drift" ]; then
  echo "dist/ differs from a fresh build of the source:" >&2
  echo "$drift" >&2
  git --no-pager diff --stat -- dist >&2 || true
  echo "Fix: npm run bundle && git add dist schema && git commit -m 'Rebuild dist'" >&2
  exit 1
fi
echo "dist/ is fresh"
