# docs/*.8: every man page is clean for mandoc -Tlint and for groff (the
# formatter man(1) uses), and lists exactly the long options its plugin's
# --help lists: an option added to one and not the other fails here.

PLUGIN_NAMES="check_icmp_rtt check_hops check_dns_mx check_smtp_dialogue check_pop3_mailbox"

test_man_pages_are_clean_for_mandoc_and_groff() {
	need_cmd mandoc
	need_cmd groff
	local f msg
	for f in "$TOP"/docs/*.8; do
		msg=$(mandoc -Tlint -Wwarning "$f" 2>&1) || fail "mandoc -Tlint $f: $msg"
		[ -z "$msg" ] || fail "mandoc -Tlint $f: $msg"
		msg=$(LC_ALL=C.UTF-8 groff -mandoc -ww -z -Tutf8 "$f" 2>&1)
		[ -z "$msg" ] || fail "groff $f: $msg"
	done
}

# The long options of --help: each entry's names, and the aliases it names
# as "(also --x)".
help_options() {
	"$CHECKS/$1" --help | grep -oE '^ (-[A-Za-z0-9], )?--[a-z0-9-]+|^     --[a-z0-9-]+|\(also --[a-z0-9-]+' |
		grep -oE -- '--[a-z0-9-]+' | sort -u
}

# The long options the man page's OPTIONS section has an entry (.It) for.
man_options() {
	sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$TOP/docs/$1.8" | grep '^\.It ' |
		grep -oE 'Fl \\?-[a-z0-9\\-]+' | sed 's/^Fl //; s/\\//g; s/^/-/' | sort -u
}

test_man_pages_and_help_list_the_same_options() {
	local p help man
	for p in $PLUGIN_NAMES; do
		[ -f "$TOP/docs/$p.8" ] || fail "no man page docs/$p.8"
		help=$(help_options "$p")
		man=$(man_options "$p")
		[ -n "$help" ] && [ -n "$man" ] || fail "$p: no options found (help: $help; man: $man)"
		[ -z "$(comm -23 <(echo "$help") <(echo "$man"))" ] ||
			fail "$p: in --help, not in the man page: $(comm -23 <(echo "$help") <(echo "$man") | tr '\n' ' ')"
		[ -z "$(comm -13 <(echo "$help") <(echo "$man"))" ] ||
			fail "$p: in the man page, not in --help: $(comm -13 <(echo "$help") <(echo "$man") | tr '\n' ' ')"
	done
}
