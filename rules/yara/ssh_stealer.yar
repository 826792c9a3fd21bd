/*
 * SSH credential theft: private keys and known_hosts read and sent elsewhere, the first
 * step of worms that spread with harvested keys.
 */

rule Linux_Stealer_SshKeys
{
    meta:
        description = "Reads SSH private keys or known_hosts and uploads them"
        family = "Linux.Stealer.SshKeys"
        attack = "T1552.004"
        severity = "critical"
    strings:
        $key_rsa = ".ssh/id_rsa" ascii wide
        $key_ed = ".ssh/id_ed25519" ascii wide
        $key_ecdsa = ".ssh/id_ecdsa" ascii wide
        $known = ".ssh/known_hosts" ascii wide
        $up_curl = /curl [^\n]{0,120}(-F|--data|-d|-T|--upload-file)/ ascii
        $up_wget = "wget --post-file" ascii
        $up_nc = /\| *(nc|ncat|netcat) [0-9a-z.-]+ [0-9]+/ ascii
        $up_scp = /scp [^\n]{0,80}@/ ascii
        $up_py = "requests.post" ascii
        $up_http = "multipart/form-data" ascii
    condition:
        filesize < 8MB and 1 of ($key_*, $known) and 1 of ($up_*)
}
