/*
 * Cryptocurrency miners (XMRig and its many rebuilds): the stratum pool protocol and the
 * option names a miner binary or its launcher script carries.
 */

rule Linux_Miner_Stratum
{
    meta:
        description = "Stratum mining pool URL or protocol method names"
        family = "Linux.Miner.Generic"
        attack = "T1496.001"
        severity = "high"
    strings:
        $url_tcp = "stratum+tcp://" ascii wide nocase
        $url_ssl = "stratum+ssl://" ascii wide nocase
        $url_tls = "stratum2+tcp://" ascii nocase
        $m_subscribe = "mining.subscribe" ascii
        $m_authorize = "mining.authorize" ascii
        $m_submit = "mining.submit" ascii
        $m_notify = "mining.notify" ascii
    condition:
        any of ($url_*) or 2 of ($m_*)
}

rule Linux_Miner_XMRig
{
    meta:
        description = "XMRig-style miner: command-line options and RandomX strings"
        family = "Linux.Miner.XMRig"
        attack = "T1496.001"
        severity = "high"
    strings:
        $opt_donate = "donate-level" ascii
        $opt_donate_over = "donate-over-proxy" ascii
        $opt_cpu_prio = "cpu-priority" ascii
        $opt_randomx = "randomx-1gb-pages" ascii
        $opt_nicehash = "\"nicehash\"" ascii
        $name = "xmrig" ascii nocase
        $pool_xmr = /pool\.[a-z0-9.-]{0,40}(xmr|monero)/ ascii nocase
    condition:
        2 of ($opt_*) or ($name and 1 of ($opt_*, $pool_xmr))
}
