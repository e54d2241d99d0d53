# tests/tap.sh - the TAP helpers of the shell tests (sourced, not run).
#
#   t DESC FUNC ARGS...        one TAP line: ok when FUNC ARGS succeeds;
#                              otherwise not ok, with what FUNC put in $why
#   todo DESC BUG FUNC ARGS... the same as a TODO test for a known bug
#   fail TEXT...               in a check function: say why, return 1
#   ok DESC / notok DESC       one line by hand
#
# $n counts the tests; a script ends with echo "1..$n".

n=0
why=
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	printf '%s\n' "$why" | sed 's/^/#   /'
}
t() {
	local desc=$1
	shift
	why=
	if "$@"; then ok "$desc"; else notok "$desc"; fi
}
todo() {
	local desc=$1 bug=$2
	shift 2
	why=
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc # TODO bug: $bug"
	else
		echo "not ok $n - $desc # TODO bug: $bug"
		printf '%s\n' "$why" | sed 's/^/#   /'
	fi
}
fail() { why="$*"; return 1; }
