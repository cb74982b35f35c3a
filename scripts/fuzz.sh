#!/usr/bin/env bash
# fuzz.sh TIME MODULE...: runs every Fuzz target of the modules for TIME each.
set -euo pipefail
fuzztime=$1
shift
for module in "$@"; do
	[[ -d $module ]] || continue
	while IFS= read -r file; do
		dir=$(dirname "$file")
		for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$file" | cut -d' ' -f2); do
			echo "fuzz: $dir $target ($fuzztime)"
			(cd "$dir" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" .)
		done
	done < <(grep -rl --include='*_test.go' '^func Fuzz' "$module")
done
