# Perfdata written by common/output, read back by a real consumer.

test_perfdata_parsed_back_by_monitoring_plugin_perl() {
	perl -MMonitoring::Plugin::Performance -e 1 2>/dev/null ||
		skip "needs Monitoring::Plugin::Performance (libmonitoring-plugin-perl; make test-deps)"
	run perl tests/integration/perfdata_roundtrip.pl "$TOOLS/perfemit"
	expect_rc 0
	expect_out '^all 15 items parsed back exactly$'
}
