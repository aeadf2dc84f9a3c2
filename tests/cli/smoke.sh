#!/bin/sh
# SPDX-License-Identifier: MIT
# The CLI end to end on a scratch directory: keygen, init, info, verify,
# and the exit code of each class of error.
set -u
W=$(realpath "$1")
dir=$(mktemp -d "${TMPDIR:-/tmp}/waybill-cli-XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
fails=0
n=0

check() { # description, expected exit code, actual exit code
	n=$((n + 1))
	if [ "$2" -eq "$3" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1 (exit $3, expected $2)"
		fails=$((fails + 1))
	fi
}

contains() { # description, file, text
	n=$((n + 1))
	if grep -q -- "$3" "$2"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1 ($2 lacks \"$3\")"
		fails=$((fails + 1))
	fi
}

echo "1..21"
"$W" keygen admin >admin.pub 2>/dev/null
check "keygen makes a key" 0 $?
contains "keygen prints the verifier key" admin.pub '^admin+[0-9a-f]\{8\}+'
mode=$(stat -c %a admin.key)
check "the private key file is 0600" 600 "$mode"
"$W" keygen admin >/dev/null 2>&1
check "keygen never overwrites" 5 $?
"$W" keygen "bad name" >/dev/null 2>&1
check "keygen refuses a bad name" 2 $?
"$W" init --data data --origin example.test/ledger --admin-key "$(cat admin.pub)" >init.out 2>&1
check "init creates a ledger" 0 $?
contains "init prints the origin" init.out 'example.test/ledger'
"$W" init --data data --origin example.test/ledger --admin-key admin.pub >/dev/null 2>&1
check "init refuses an existing ledger" 5 $?
"$W" init --data d2 --origin example.test/ledger >/dev/null 2>&1
check "init without --admin-key is a usage error" 2 $?
"$W" info --data data --json >info.json
check "info --json" 0 $?
contains "info names the admin key" info.json "\"admin_key\": *\"$(cat admin.pub)\""
contains "info gives the size" info.json '"size": *1,'
"$W" verify --data data --json >verify.json
check "verify passes" 0 $?
contains "verify reports ok" verify.json '"ok":true'
"$W" export --data data --out all.wbx
check "export writes a file" 0 $?
"$W" verify --export all.wbx --log-key "$(sed -n 's/.*"log_key": *"\([^"]*\)".*/\1/p' info.json)" --json >export.json
check "the export verifies against the log key" 0 $?
contains "the export was replayed" export.json '"replayed":true'
head -c -1 all.wbx >cut.wbx
"$W" verify --export cut.wbx >/dev/null
check "a cut-off export fails verification" 1 $?
"$W" export --data data --out all.wbx >/dev/null 2>&1
check "export never overwrites" 5 $?
"$W" verify --data nowhere >/dev/null 2>&1
check "verify of no ledger" 5 $?
"$W" frobnicate >/dev/null 2>&1
check "unknown command" 2 $?
[ "$fails" -eq 0 ]
