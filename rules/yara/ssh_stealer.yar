/*
 * SSH credential theft: private keys or known_hosts read and sent elsewhere, the first
 * step of worms that spread with harvested keys. Documentation and libraries mention key
 * paths and upload options separately; these rules want both in one command, or a
 * script that reads a key and posts it.
 */

rule Linux_Stealer_SshKeys_Shell
{
    meta:
        description = "Shell command sending SSH private keys or known_hosts to a remote host"
        family = "Linux.Stealer.SshKeys"
        attack = "T1552.004"
        severity = "critical"
    strings:
        $pipe = /\.ssh\/(id_\w+|known_hosts)\b[^\n]{0,120}\|\s*(curl|wget|nc|ncat|socat)\b/
        $curl = /curl [^\n]{0,160}(-F|--form|--data\S*|-d|-T) *["']?\w*=?@[^\n "']{0,40}\.ssh\/id_/
        $curl_up = /curl [^\n]{0,160}--upload-file[= ]["']?[^\n "']{0,40}\.ssh\/id_/
        $wget = /wget [^\n]{0,120}--post-file[= ]["']?[^\n "']{0,40}\.ssh\/(id_|known_hosts)/
        $tar = /tar [^\n]{0,80}\.ssh\b[^\n]{0,120}\|\s*(curl|nc|ncat|netcat|socat)\b/ ascii
    condition:
        filesize < 4MB and uint32(0) != 0x464c457f and any of them
}

rule Linux_Stealer_SshKeys_Script
{
    meta:
        description = "Script opening SSH private keys and posting them over HTTP or a socket"
        family = "Linux.Stealer.SshKeys"
        attack = "T1552.004"
        severity = "critical"
    strings:
        $key_rsa = ".ssh/id_rsa" ascii
        $key_ed = ".ssh/id_ed25519" ascii
        $key_ecdsa = ".ssh/id_ecdsa" ascii
        $glob = /\.ssh\/id_\*/ ascii
        $open_py = "open(" ascii
        $up_requests = "requests.post" ascii
        $up_urllib = "urllib.request.urlopen" ascii
        $up_sock = ".sendall(" ascii
        $up_perl = "LWP::UserAgent" ascii
        $up_http = "HTTP::Request" ascii
    condition:
        filesize < 1MB and uint32(0) != 0x464c457f and 1 of ($key_*, $glob) and
        $open_py and 1 of ($up_*)
}
