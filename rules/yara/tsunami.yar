/*
 * Tsunami / Kaiten: IRC-controlled flood bots whose command words and help text are
 * compiled into the binary (or carried in the C source dropped and built on the host).
 */

rule Linux_Botnet_Tsunami_IRC
{
    meta:
        description = "Kaiten-style IRC bot commands and IRC protocol lines"
        family = "Linux.Botnet.Tsunami"
        attack = "T1071.003"
        severity = "critical"
    strings:
        $irc_nick = "NICK %s" ascii
        $irc_user = "USER %s" ascii
        $irc_privmsg = "PRIVMSG %s :" ascii
        $irc_join = "JOIN %s" ascii
        $cmd_tsunami = "TSUNAMI" ascii fullword
        $cmd_pan = "PAN" ascii fullword
        $cmd_unknown = "UNKNOWN" ascii fullword
        $cmd_nickspoof = "NICKSPOOF" ascii
        $cmd_killall = "KILLALL" ascii fullword
        $cmd_getspoofs = "GETSPOOFS" ascii
        $cmd_disable = "DISABLE" ascii fullword
        $cmd_update = "UPDATE" ascii fullword
        $cmd_sh = "SH <command>" ascii
        $kaiten = "kaiten" ascii nocase
    condition:
        2 of ($irc_*) and (4 of ($cmd_*) or ($kaiten and 2 of ($cmd_*)))
}
