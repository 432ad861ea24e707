#!/usr/bin/perl
# Attaches to one hostapd or wpa_supplicant control socket and prints every unsolicited event
# exactly as the daemon sent it, one per line: "<unix-time> <tag> <raw message>".
#
#   ctrl-monitor.pl /run/lab/hostapd/wlan0 ap >>events.log
#
# Why not `wpa_cli -a` / `hostapd_cli -a`: wpa_cli's action script only gets a chosen few events,
# rewritten (e.g. "CONNECTED" instead of the CTRL-EVENT-CONNECTED line), and both CLIs strip the
# "<3>" priority prefix. The project's parser has to handle the raw datagrams, so that is what we
# record. Why Perl: the control interface is a Unix *datagram* socket, which Node's standard
# library cannot open, and perl-base is on every Debian system.
use strict;
use warnings;
use Socket qw(AF_UNIX SOCK_DGRAM pack_sockaddr_un);
use IO::Handle;
use Time::HiRes qw(time sleep);

my ($ctrl, $tag) = @ARGV;
die "usage: $0 CTRL_SOCKET TAG\n" unless defined $tag;
my $wait = $ENV{MONITOR_WAIT} // 30;

(my $safe = $tag) =~ s/[^A-Za-z0-9_.-]/_/g;
my $local = "/tmp/ctrl-monitor-$$-$safe";
socket(my $sock, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n";
unlink $local;
bind($sock, pack_sockaddr_un($local)) or die "bind $local: $!\n";

# The daemon creates its socket a moment after it starts; bounded wait.
my $deadline = time + $wait;
until (-S $ctrl) {
	if (time > $deadline) { unlink $local; die "no control socket at $ctrl after ${wait}s\n"; }
	sleep 0.1;
}
connect($sock, pack_sockaddr_un($ctrl)) or do { unlink $local; die "connect $ctrl: $!\n" };

sub request {
	my ($cmd) = @_;
	send($sock, $cmd, 0) or return undef;
	my $rin = '';
	vec($rin, fileno($sock), 1) = 1;
	# Events can arrive before the reply to ATTACH; skip anything that starts with "<".
	my $until = time + 5;
	while (time < $until) {
		my $rout;
		my $n = select($rout = $rin, undef, undef, $until - time);
		return undef unless $n && $n > 0;
		my $buf;
		defined(recv($sock, $buf, 8192, 0)) or return undef;
		return $buf unless $buf =~ /^</;
	}
	return undef;
}

my $reply = request("ATTACH");
unless (defined $reply && $reply =~ /^OK/) {
	unlink $local;
	die "ATTACH to $ctrl failed\n";
}

my $stop = sub {
	send($sock, "DETACH", 0);
	unlink $local;
	exit 0;
};
$SIG{TERM} = $stop;
$SIG{INT} = $stop;

STDOUT->autoflush(1);
# Tells whoever started us that the attach is done, so nothing they trigger next is missed.
printf "%.3f %s %s\n", time, $tag, "MONITOR-ATTACHED $ctrl";
while (1) {
	my $buf;
	unless (defined(recv($sock, $buf, 8192, 0))) {
		next if $!{EINTR};
		die "recv from $ctrl: $!\n";
	}
	$buf =~ s/\n+\z//;
	printf "%.3f %s %s\n", time, $tag, $buf;
}
