#!/usr/bin/perl
# Feeds a table of tricky perfdata items through common/output (by way of
# tests/tools/perfemit) and parses the result back with
# Monitoring::Plugin::Performance, the parser Perl plugins and many
# add-ons use.  Every field must come back exactly.  Prints one line per
# mismatch and exits 1 if there is any.
#
# Not in the table, because this parser cannot read them whatever the
# writer does: labels holding a quote (written '' as the guidelines say),
# and "@" ranges.  Items with the value U are checked to be skipped without
# disturbing their neighbours.
use strict;
use warnings;
use Monitoring::Plugin::Performance;

my $perfemit = shift @ARGV or die "usage: $0 PATH-TO-PERFEMIT\n";

# label, value, uom, warn, crit, min, max given to perfemit;
# then the label, value, warning and critical expected back ("" = none).
my @table = (
    [ ['time', '0.041', 's', '1', '5', '0', ''],            ['time', 0.041, '1', '5'] ],
    [ ['connect time', '0.0005', 's', '250ms', '1s', '0', ''], ['connect time', 0.0005, '0.25', '1'] ],
    [ ['rta', '1.234', 'ms', '200', '500', '0', ''],        ['rta', 1.234, '200', '500'] ],
    [ ['pl', '20', '%', '20', '60', '0', '100'],            ['pl', 20, '20', '60'] ],
    [ ['size', '12800', 'B', '10KB', '1MB:', '0', ''],      ['size', 12800, '10240', '1048576:'] ],
    [ ['messages', '3', '', '~:10', '2:20', '0', ''],       ['messages', 3, '~:10', '2:20'] ],
    [ ['mx1.example.test', '0.000012', 's', '', '', '', ''], ['mx1.example.test', 0.000012, '', ''] ],
    [ ['/var/mail', '7', 'c', '', '', '', ''],              ['/var/mail', 7, '', ''] ],
    [ ["h\xc3\xb6p 3 [198.18.0.1]", '2.5', 'ms', '', '', '0', ''], ["h\xc3\xb6p 3 [198.18.0.1]", 2.5, '', ''] ],
    [ ['a|b', '1', '', '', '', '', ''],                     ['a_b', 1, '', ''] ],
    [ ['x=y', '1', '', '', '', '', ''],                     ['x_y', 1, '', ''] ],
    [ ['semi;colon', '4', '', '', '', '', ''],              ['semi;colon', 4, '', ''] ],
    [ ['unmeasured', 'U', 's', '1', '2', '0', ''],          undef ],
    [ ['big', '100000000000000000000', 'B', '', '', '', ''], ['big', 1e20, '', ''] ],
    [ ['negative', '-2.5', '', '-5:-1', '~:0', '', ''],     ['negative', -2.5, '-5:-1', '~:0'] ],
    [ ['end', '0', 's', '', '', '0', '10'],                 ['end', 0, '', ''] ],
);

my @args = map { @{ $_->[0] } } @table;
open(my $fh, '-|', $perfemit, @args) or die "cannot run $perfemit: $!\n";
my $perfstring = <$fh>;
close($fh) or die "$perfemit failed\n";
chomp $perfstring;
print "perfdata: $perfstring\n";

my @parsed = Monitoring::Plugin::Performance->parse_perfstring($perfstring);
my @want = grep { defined } map { $_->[1] } @table;
my $bad = 0;
if (@parsed != @want) {
    print "parsed ", scalar(@parsed), " items, want ", scalar(@want), "\n";
    $bad++;
}
for my $i (0 .. $#want) {
    my ($label, $value, $warn, $crit) = @{ $want[$i] };
    my $p = $parsed[$i] or last;
    my %got = (label => $p->label, value => $p->value,
               warning => $p->warning // '', critical => $p->critical // '');
    if ($got{label} ne $label) { print "item $i: label '$got{label}', want '$label'\n"; $bad++; }
    if ($got{value} != $value) { print "item $i ($label): value $got{value}, want $value\n"; $bad++; }
    if ($got{warning} ne $warn) { print "item $i ($label): warning '$got{warning}', want '$warn'\n"; $bad++; }
    if ($got{critical} ne $crit) { print "item $i ($label): critical '$got{critical}', want '$crit'\n"; $bad++; }
}
# uom, min and max of a few items
my %by = map { $_->label => $_ } @parsed;
my @fields = (
    ['time', 'uom', 's'], ['rta', 'uom', 'ms'], ['pl', 'uom', '%'], ['pl', 'max', '100'],
    ['size', 'uom', 'B'], ['/var/mail', 'uom', 'c'], ['end', 'min', '0'], ['end', 'max', '10'],
    ['messages', 'uom', ''], ['time', 'min', '0'],
);
for my $f (@fields) {
    my ($label, $field, $want) = @$f;
    my $p = $by{$label};
    my $got = $p ? ($p->$field // '') : '(missing)';
    if ($got ne $want) { print "$label: $field '$got', want '$want'\n"; $bad++; }
}
print $bad ? "$bad mismatches\n" : "all ", scalar(@want), " items parsed back exactly\n";
exit($bad ? 1 : 0);
