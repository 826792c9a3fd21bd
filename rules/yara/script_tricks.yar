/*
 * Tricks in script text that droppers and persistence payloads use. None names a family:
 * each is one medium (or low) piece of evidence that adds to the behaviour detections.
 * They are matched over the object and over every file it dropped, so a cron entry or a
 * unit file written at run time is read too.
 */

rule Linux_Script_PipeToShell
{
    meta:
        description = "A download piped straight into a shell"
        attack = "T1105"
        severity = "medium"
    strings:
        $pipe = /(curl|wget)[^\n|]{0,200}\|[ \t]*(sudo[ \t]+)?(ba|da|z)?sh\b/ ascii
    condition:
        $pipe
}

rule Linux_Script_HiddenLaunch
{
    meta:
        description = "A program in a hidden path is launched, scheduled or made executable"
        attack = "T1564.001"
        severity = "medium"
    strings:
        $launch = /(ExecStart=|Exec=|nohup |RUN\+=|chmod \+x |chmod [0-7]{3,4} |\[ -x |\* \* \* )[^\n]{0,160}\/(tmp|var\/tmp|dev\/shm|usr\/lib|usr\/local\/lib|usr\/share|lib|opt|\.local\/share|\.config)\/([^\/\n ]+\/)*\.[a-z0-9][a-z0-9._-]*/ ascii
    condition:
        $launch
}

rule Linux_Python_ExecDecoded
{
    meta:
        description = "Python that executes code it has just decoded or decompressed"
        attack = "T1140"
        severity = "medium"
    strings:
        $exec = /(exec|eval)\([ \t]*(zlib\.decompress|marshal\.loads|base64\.b64decode|codecs\.decode|bytes\.fromhex)\(/ ascii
    condition:
        $exec
}

rule Linux_Script_DecodeChain
{
    meta:
        description = "Base64 decoding chained with decompression or a shell: an obfuscated payload"
        attack = "T1027"
        severity = "low"
    strings:
        $py = /b64decode\([^\n]{0,80}\)/ ascii
        $zlib = "zlib.decompress" ascii
        $sh = /base64[ \t]+(-d|--decode)[^\n|]{0,80}\|[ \t]*(ba|da|z)?sh\b/ ascii
    condition:
        ($py and $zlib) or $sh
}

rule Linux_Masquerade_KthreadName
{
    meta:
        description = "A kernel worker thread name carried by a program, to be worn as its own"
        attack = "T1036.004"
        severity = "medium"
    strings:
        $kworker = /\[?kworker\/u?[0-9]+:[0-9]+H?\]?/ ascii
    condition:
        $kworker
}

rule Linux_Script_ArchiveLibrary
{
    meta:
        description = "A script that builds an archive with a library (tarfile, zipfile, Archive::Tar)"
        attack = "T1560.002"
        severity = "low"
    strings:
        $tar = "tarfile.open(" ascii
        $zip = "zipfile.ZipFile(" ascii
        $perl = "Archive::Tar" ascii
        $perlzip = "Archive::Zip" ascii
    condition:
        any of them
}
