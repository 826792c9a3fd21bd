#!/usr/bin/python3
# Runs a small python3 unittest suite (string, math and list helpers).
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
import unittest


def slug(s):
    return "-".join(s.lower().split())


class Tests(unittest.TestCase):
    def test_slug(self):
        self.assertEqual(slug("Hello World"), "hello-world")

    def test_sum(self):
        self.assertEqual(sum(range(101)), 5050)

    def test_sorted(self):
        self.assertEqual(sorted([3, 1, 2]), [1, 2, 3])

    def test_dict(self):
        d = {"a": 1}
        d.setdefault("b", 2)
        self.assertIn("b", d)


if __name__ == "__main__":
    unittest.main(verbosity=2)
