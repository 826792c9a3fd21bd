/*
 * Mirai and its descendants (Satori, Okiru, and the rest): busybox-based telnet scanners
 * that brute-force default IoT credentials and kill competing bots.
 */

rule Linux_Botnet_Mirai_Scanner
{
    meta:
        description = "Busybox applet probing with a list of default IoT credentials"
        family = "Linux.Botnet.Mirai"
        attack = "T1110.001"
        severity = "critical"
    strings:
        $busybox = "/bin/busybox" ascii
        $probe = /\/bin\/busybox [A-Z]{4,12}/ ascii
        $cred_xc = "xc3511" ascii
        $cred_vizxv = "vizxv" ascii
        $cred_7ujm = "7ujMko0" ascii
        $cred_juantech = "juantech" ascii
        $cred_klv = "klv123" ascii
        $cred_hi3518 = "hi3518" ascii
        $cred_anko = "anko" ascii fullword
        $cred_zlxx = "zlxx." ascii
        $cred_dreambox = "dreambox" ascii
        $cred_realtek = "realtek" ascii fullword
    condition:
        ($busybox or $probe) and 3 of ($cred_*)
}

rule Linux_Botnet_Mirai_Table
{
    meta:
        description = "Mirai-style bot: attack routine names, or watchdog + game-server flood"
        family = "Linux.Botnet.Mirai"
        attack = "T1498"
        severity = "critical"
    strings:
        $wd1 = "/dev/watchdog" ascii
        $wd2 = "/dev/misc/watchdog" ascii
        $tsource = "TSource Engine Query" ascii
        $busybox = "/bin/busybox" ascii
        $atk_syn = "attack_tcp_syn" ascii
        $atk_ack = "attack_tcp_ack" ascii
        $atk_gre = "attack_gre_eth" ascii
        $atk_udp = "attack_udp_plain" ascii
        $atk_http = "attack_app_http" ascii
        $atk_vse = "attack_udp_vse" ascii
    condition:
        3 of ($atk_*) or (1 of ($wd*) and $tsource and $busybox)
}

rule Linux_Botnet_Mirai_EncodedTable
{
    meta:
        description = "Mirai-style string table XOR-encoded with the single byte 0x22"
        family = "Linux.Botnet.Mirai"
        attack = "T1027"
        severity = "critical"
    strings:
        $enc_wd = "/dev/watchdog" xor(0x22)
        $enc_busybox = "/bin/busybox" xor(0x22)
        $enc_ncorrect = "ncorrect" xor(0x22)
        $enc_shell = "shell" xor(0x22)
        $enc_enable = "enable" xor(0x22)
        $enc_proc = "/proc/" xor(0x22)
        $enc_exe = "/exe" xor(0x22)
    condition:
        $enc_wd and $enc_busybox and
        3 of ($enc_ncorrect, $enc_shell, $enc_enable, $enc_proc, $enc_exe)
}
