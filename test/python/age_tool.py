"""What `age-keygen` and `age --encrypt --armor` do, with pyrage, for tests that need a sealed pair
(the provider's `sealedPair` output: age, armored, over {"accessToken", "refreshToken"}).

    python age_tool.py keygen <identity file>     writes a new identity (mode 0600), prints its recipient
    python age_tool.py seal <recipient>           seals stdin to the recipient, prints the armored file
"""
import os
import sys

import pyrage
from pyrage import x25519

if __name__ == "__main__":
    what, arg = sys.argv[1], sys.argv[2]
    if what == "keygen":
        identity = x25519.Identity.generate()
        fd = os.open(arg, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, f"# public key: {identity.to_public()}\n{identity}\n".encode())
        os.close(fd)
        print(identity.to_public())
    elif what == "seal":
        recipient = x25519.Recipient.from_str(arg)
        sys.stdout.write(pyrage.encrypt(sys.stdin.buffer.read(), [recipient], armored=True).decode())
    else:
        sys.exit("usage: age_tool.py keygen <identity file> | seal <recipient>")
