/*
 * The sandtrap test file: a harmless marker that every part of sandtrap rules malicious,
 * so a deployment (an agent's blocking, quarantine and kill) can be tried without real
 * malware, as anti-virus products use the EICAR file. docs/rules.md shows how to make one.
 */

rule Sandtrap_Test_File
{
    meta:
        description = "The sandtrap test marker (not malware: a deployment test)"
        family = "Test.Sandtrap.TestFile"
        attack = "T1204.002"
        severity = "critical"
    strings:
        $marker = "SANDTRAP-TEST-FILE-6d1c4f2a-NOT-MALWARE" ascii
    condition:
        $marker
}
