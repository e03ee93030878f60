#!/usr/bin/env bash
# Proves that a failing test fails the build: runs one deliberately failing test through the
# same entry point as the suite (`npm test`) and requires a non-zero exit. Once, a dependency's
# exit hook turned every red run into exit 0 and CI could not go red; this guard keeps that
# from coming back unnoticed. Used by .ci/run; safe to run by hand.
set -uo pipefail
cd "$(dirname "$0")/.."

canary="test/zz-red-canary-$$.test.ts"
trap 'rm -f "$canary"' EXIT
cat > "$canary" <<'TS'
import { expect, it } from "vitest";

it("is red on purpose: the build must fail on it", () => {
  expect(1).toBe(2);
});
TS

npm test -- "$canary" > /tmp/prove-red-fails.$$.log 2>&1
status=$?
if [ "$status" -eq 0 ]; then
  tail -n 20 /tmp/prove-red-fails.$$.log
  rm -f /tmp/prove-red-fails.$$.log
  echo "prove-red-fails: a deliberately failing test left 'npm test' exiting 0." >&2
  echo "prove-red-fails: the suite cannot fail the build; find what overrides vitest's exit code." >&2
  exit 1
fi
if ! grep -q "1 failed" /tmp/prove-red-fails.$$.log; then
  tail -n 20 /tmp/prove-red-fails.$$.log
  rm -f /tmp/prove-red-fails.$$.log
  echo "prove-red-fails: 'npm test' exited $status but did not report the canary as failed." >&2
  exit 1
fi
rm -f /tmp/prove-red-fails.$$.log
echo "prove-red-fails: a failing test makes 'npm test' exit $status, as it must."
