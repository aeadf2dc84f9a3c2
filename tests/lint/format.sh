#!/bin/sh
# SPDX-License-Identifier: MIT
# Every C file of the project is clang-format clean (the project's
# .clang-format; checked with Debian's clang-format 14).
set -u
cd "$(dirname "$0")/../.."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files -co --exclude-standard '*.c' '*.h')
else
	files=$(find ledger rpc tools tests -name '*.[ch]' 2>/dev/null)
fi
# shellcheck disable=SC2086
exec clang-format --dry-run --Werror $files
