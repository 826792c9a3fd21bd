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
        $sink_input = /\b(eval|assert|system|shell_exec|passthru|exec|popen|proc_open)\s*\(\s*(base64_decode\s*\(\s*|stripslashes\s*\(\s*)?\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/ ascii nocase
        $backtick = /`\s*\$_(GET|POST|REQUEST)\s*\[/ ascii
        $pregE = /preg_replace\s*\(\s*["']\/[^\n]{1,40}\/e["']/ ascii
    condition:
        filesize < 2MB and ($php or $php_short) and any of ($sink_input, $backtick, $pregE)
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
        $chain = /eval\s*\(\s*(gzinflate|gzuncompress|str_rot13|base64_decode)\s*\(\s*(gzinflate|gzuncompress|str_rot13|base64_decode|strrev)\s*\(/ ascii nocase
        $create_fn = /create_function\s*\(\s*['"]{2}\s*,\s*(base64_decode|gzinflate)/ ascii nocase
    condition:
        filesize < 2MB and $php and ($chain or $create_fn)
}
