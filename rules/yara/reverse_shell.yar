/*
 * Reverse shells as one-liners in scripts: a shell bound to a network socket. The
 * behaviour engine sees the connect/dup2/exec sequence at run time; this catches the
 * text before anything runs.
 */

rule Linux_Shell_Reverse_DevTcp
{
    meta:
        description = "bash redirected to /dev/tcp or /dev/udp (reverse shell one-liner)"
        family = "Linux.Trojan.ReverseShell"
        attack = "T1059.004"
        severity = "critical"
    strings:
        $bash_i = /(ba)?sh -i *[0-9]?>& *\/dev\/(tcp|udp)\// ascii
        $exec_fd = /exec [0-9]+<> *\/dev\/tcp\// ascii
        $redir = /0>&1/ ascii
        $devtcp = "/dev/tcp/" ascii
        $shell_on_fd = /(ba)?sh( -i)? *<&[0-9]+ *>&[0-9]+/ ascii
    condition:
        // A socket on a descriptor is plain /dev/tcp use; a shell wired to it is the shell.
        $bash_i or ($exec_fd and $shell_on_fd) or ($devtcp and $redir and filesize < 1MB)
}

rule Linux_Shell_Reverse_Python
{
    meta:
        description = "Python socket duplicated onto stdio and a shell spawned"
        family = "Linux.Trojan.ReverseShell"
        attack = "T1059.006"
        severity = "critical"
    strings:
        $sock = "socket.socket" ascii
        $connect = ".connect((" ascii
        $dup2 = "os.dup2" ascii
        $dup2b = "dup2(" ascii
        $sh1 = "/bin/sh" ascii
        $sh2 = "/bin/bash" ascii
        $pty = "pty.spawn" ascii
    condition:
        filesize < 1MB and $sock and $connect and ($dup2 or $dup2b) and
        (1 of ($sh*) or $pty)
}

rule Linux_Shell_Reverse_Netcat
{
    meta:
        description = "netcat or a named pipe feeding a shell to a remote peer"
        family = "Linux.Trojan.ReverseShell"
        attack = "T1059.004"
        severity = "critical"
    strings:
        $nc_e = /\b(nc|ncat|netcat)(\.traditional)? [^\n]{0,80}-e *\/bin\/(ba)?sh/ ascii
        $fifo = /mkfifo [^\n]{1,80}\/bin\/(ba)?sh -i[^\n]{0,80}\b(nc|ncat|netcat|telnet)\b/ ascii
        $perl = /perl [^\n]{0,20}-e [^\n]{0,200}socket\([^\n]{0,200}exec\([^\n]{0,40}\/bin\/sh/
    condition:
        any of them
}
