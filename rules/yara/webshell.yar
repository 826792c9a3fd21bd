/*
 * PHP webshells: request parameters handed to a code or command execution sink, or the
 * obfuscation wrappers such shells hide behind.
 */

rule Linux_Webshell_PHP_Exec
{
    meta:
        description = "PHP passing request input to eval, assert or a shell command"
        family = "Linux.Backdoor.Webshell"
        attack = "T1505.003"
        severity = "critical"
    strings:
        $php = "<?php" ascii nocase
        $php_short = "<?=" ascii
        $sink_code = /\b(eval|assert)\s*\(\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[/ nocase
        $sink_b64 = /\b(eval|assert)\s*\(\s*base64_decode\s*\(\s*\$_(GET|POST|REQUEST)/ nocase
        $sink_cmd = /(system|shell_exec|passthru|exec|popen|proc_open)\s*\(\s*\$_(GET|POST)/ nocase
        $sink_req = /\b(system|shell_exec|passthru|exec|popen|proc_open)\s*\(\s*\$_REQUEST/ nocase
        $backtick = /`\s*\$_(GET|POST|REQUEST)\s*\[/ ascii
        $pregE = /preg_replace\s*\(\s*["']\/[^\n]{1,40}\/e["']/ ascii
    condition:
        filesize < 2MB and ($php or $php_short) and any of ($sink_*, $backtick, $pregE)
}

rule Linux_Webshell_PHP_Obfuscated
{
    meta:
        description = "PHP evaluating decoded or decompressed blobs"
        family = "Linux.Backdoor.Webshell"
        attack = "T1505.003"
        severity = "high"
    strings:
        $php = "<?php" ascii nocase
        $chain = /eval\s*\(\s*(gz\w{7,8}|str_rot13|base64_decode)\s*\(\s*\w{6,14}\s*\(/ nocase
        $create_fn = /create_function\s*\(\s*['"]{2}\s*,\s*(base64_decode|gzinflate)/ ascii nocase
    condition:
        filesize < 2MB and $php and ($chain or $create_fn)
}
