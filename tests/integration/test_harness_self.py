"""The CER measure itself must be right, or every OCR figure is wrong."""
import random

from harness import cer, levenshtein, main, test


def slow_levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@test
def levenshtein_matches_dynamic_programming():
    rng = random.Random(7)
    alphabet = "aăâbcdđeêg ỦỹọQĐ/-"
    for _ in range(300):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90)))
        assert levenshtein(a, b) == slow_levenshtein(a, b), (a, b)


@test
def cer_folds_whitespace_and_composition():
    assert cer("Số:  2684/QĐ-UBND\n", "Số: 2684/QĐ-UBND") == 0
    decomposed = "Quye\u0302\u0301t"
    assert cer(decomposed, "Quyết") == 0
    assert abs(cer("abcd", "abce") - 0.25) < 1e-9


if __name__ == "__main__":
    main()
