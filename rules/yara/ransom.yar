/*
 * Ransom notes: the text left beside encrypted files, with a way to pay. A note alone is
 * enough: nothing benign tells the user their files were encrypted and asks for coins.
 */

rule Linux_Ransom_Note
{
    meta:
        description = "Ransom note: encrypted-files claim and a payment address or contact"
        family = "Linux.Ransom.Generic"
        attack = "T1486"
        severity = "critical"
    strings:
        $claim1 = "your files have been encrypted" ascii wide nocase
        $claim2 = "all your files are encrypted" ascii wide nocase
        $claim3 = "your important files are encrypted" ascii wide nocase
        $claim4 = "files have been locked" ascii wide nocase
        $pay1 = "bitcoin" ascii wide nocase
        $pay2 = "monero" ascii wide nocase
        $pay3 = "decrypt" ascii wide nocase
        $btc_legacy = /\b[13][a-km-zA-HJ-NP-Z1-9]{25,34}\b/ ascii
        $btc_bech32 = /\bbc1[a-z0-9]{25,59}\b/ ascii
        $onion = /[a-z2-7]{56}\.onion/ ascii
    condition:
        filesize < 4MB and 1 of ($claim*) and 1 of ($pay*) and
        1 of ($btc_legacy, $btc_bech32, $onion)
}
