"""make bench: what signing costs a result, and how big the signed PDF is.

tests/tools/sign_bench OCRs a scan once, then runs the signing half of a job
(PDF/A with the e-copy mark, PAdES, XML e-result, XMLDSig) ROUNDS times, with
the PKCS#12 key of `sohoa init` (RSA-3072 and EC P-256) and with the same RSA
key in a SoftHSM2 token.
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import signing_kit as kit  # noqa: E402

ROUNDS = os.environ.get("BENCH_SIGN_ROUNDS", "20")
SCANS = ["hungyen-2684-300dpi-g4.tif", "kontum-congvan-200dpi-colour.jpg",
         "quangninh-baocao-200dpi-grey16.tif", "dossier-hungyen-300dpi-g4-3pages.tif"]


def bench(tool, scan, pin, *key):
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    p = subprocess.run([tool, os.path.join(ROOT, "samples", scan), ROUNDS, pin, *key],
                       capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit("bench: sign_bench failed: " + p.stderr)
    print("  " + p.stdout.strip())


def main():
    tools = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "release", "tools")
    tool = os.path.join(tools, "sign_bench")
    with tempfile.TemporaryDirectory() as tmp:
        rsa = os.path.join(tmp, "rsa")
        ec = os.path.join(tmp, "ec")
        kit.init_setup(rsa)
        kit.init_setup(ec, "--ec")
        print(f"signing cost per result, {ROUNDS} rounds each")
        for scan in SCANS:
            bench(tool, scan, os.path.join(rsa, "keys", "signer.pin"), "--pkcs12",
                  os.path.join(rsa, "keys", "signer.p12"))
        bench(tool, SCANS[0], os.path.join(ec, "keys", "signer.pin"), "--pkcs12",
              os.path.join(ec, "keys", "signer.p12"))
        env, uri, pin, _ = kit.softhsm_token(os.path.join(tmp, "hsm"),
                                             os.path.join(rsa, "keys", "signer.p12"),
                                             kit.pin_of(os.path.join(rsa, "keys")))
        os.environ.update(env)
        print("  SoftHSM2 token (same RSA-3072 key):")
        bench(tool, SCANS[0], pin, "--pkcs11", uri, kit.SOFTHSM_MODULE)


if __name__ == "__main__":
    main()
