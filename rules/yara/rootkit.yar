/*
 * User-space LD_PRELOAD rootkits: a shared object registered in /etc/ld.so.preload that
 * overrides directory listing and file lookup calls to hide its own files and processes.
 */

rule Linux_Rootkit_LdPreload
{
    meta:
        description = "ld.so.preload persistence with libc directory/stat hooks"
        family = "Linux.Rootkit.LdPreload"
        attack = "T1574.006"
        severity = "critical"
    strings:
        $preload = "/etc/ld.so.preload" ascii
        $dlsym = "dlsym" ascii fullword
        $next = "RTLD_NEXT" ascii
        $h_readdir = "readdir" ascii fullword
        $h_readdir64 = "readdir64" ascii fullword
        $h_opendir = "opendir" ascii fullword
        $h_fopen = "fopen64" ascii fullword
        $h_xstat = "__lxstat" ascii
        $h_stat = "__xstat64" ascii
        $h_unlink = "unlinkat" ascii fullword
        $h_access = "access" ascii fullword
    condition:
        $preload and ($dlsym or $next) and ($h_readdir or $h_readdir64) and
        2 of ($h_opendir, $h_fopen, $h_xstat, $h_stat, $h_unlink, $h_access)
}
