#!/usr/bin/env bash
# fuzz.sh TIME MODULE...: runs every Fuzz target of the modules for TIME each.
#
# Go's fuzzer sometimes ends a run whose time is up with a bare "context
# deadline exceeded" failure and no failing input (a toolchain flake, not a
# finding). Such a run is tried once more; a real finding writes its input
# under testdata/fuzz and fails at once.
set -euo pipefail
fuzztime=$1
shift

fuzz() { # dir target
	(cd "$1" && go test -run '^$' -fuzz "^${2}\$" -fuzztime "$fuzztime" .)
}

for module in "$@"; do
	[[ -d $module ]] || continue
	while IFS= read -r file; do
		dir=$(dirname "$file")
		for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$file" | cut -d' ' -f2); do
			echo "fuzz: $dir $target ($fuzztime)"
			if out=$(fuzz "$dir" "$target" 2>&1); then
				echo "$out"
				continue
			fi
			echo "$out"
			if grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
				echo "fuzz: $dir $target: deadline flake of the Go fuzzer, trying once more"
				fuzz "$dir" "$target"
			else
				exit 1
			fi
		done
	done < <(grep -rl --include='*_test.go' '^func Fuzz' "$module")
done
