/*
 * User-space LD_PRELOAD rootkits: a shared object registered in /etc/ld.so.preload that
 * overrides directory listing and file lookup calls to hide its own files and processes.
 * Plenty of runtimes mention the preload file and call readdir; a rootkit *defines*
 * readdir, so the binary form checks the dynamic symbol table, and the source form (C
 * dropped to be built on the host) looks for the RTLD_NEXT wrapper pattern.
 */

import "elf"

rule Linux_Rootkit_LdPreload_Object
{
    meta:
        description = "Shared object defining readdir and other libc lookups, naming ld.so.preload"
        family = "Linux.Rootkit.LdPreload"
        attack = "T1574.006"
        severity = "critical"
    strings:
        $preload = "/etc/ld.so.preload" ascii
        $dlsym = "dlsym" ascii fullword
    condition:
        uint32(0) == 0x464c457f and elf.type == elf.ET_DYN and $preload and $dlsym and
        for any i in (0 .. elf.dynsym_entries - 1) : (
            (elf.dynsym[i].name == "readdir" or elf.dynsym[i].name == "readdir64") and
            elf.dynsym[i].shndx != 0
        ) and
        for any i in (0 .. elf.dynsym_entries - 1) : (
            (elf.dynsym[i].name == "fopen" or elf.dynsym[i].name == "fopen64" or
             elf.dynsym[i].name == "opendir" or elf.dynsym[i].name == "__lxstat" or
             elf.dynsym[i].name == "__xstat" or elf.dynsym[i].name == "stat" or
             elf.dynsym[i].name == "access" or elf.dynsym[i].name == "unlinkat") and
            elf.dynsym[i].shndx != 0
        )
}

rule Linux_Rootkit_LdPreload_Source
{
    meta:
        description = "C source wrapping readdir through dlsym(RTLD_NEXT) and naming ld.so.preload"
        family = "Linux.Rootkit.LdPreload"
        attack = "T1574.006"
        severity = "critical"
    strings:
        $preload = "/etc/ld.so.preload" ascii
        $next = /dlsym\s*\(\s*RTLD_NEXT\s*,\s*"readdir(64)?"/ ascii
        $def = /struct dirent(64)? *\* *readdir(64)? *\(/ ascii
    condition:
        filesize < 1MB and uint32(0) != 0x464c457f and $preload and $next and $def
}
