"""The consumer's own record of its token: the only place its current pair lives.

The file and its lock are the ones ../state.ts writes and takes (same JSON keys, the same
flock(2) on `<file>.lock`), so the Python and the Node.js consumer can hand one state file over, and never renew it
at the same time.

Keys: tokenId, generation?, accessToken, refreshToken, accessTokenExpiresAt (epoch seconds, 0 for
a bootstrap pair not yet renewed), refreshWindowEndsAt?, renewableUntil?, renewSentAt? (set and
written before a renew is sent, cleared when its answer is: found set, the pair may be spent),
adopted (token ids whose bootstrap pair this consumer has used: never again).
"""
import contextlib
import fcntl
import json
import os
import socket

KEEP_ADOPTED = 50


def load_state(file):
    """The state in `file`, or None on the first run. Never quotes the file: it holds secrets."""
    try:
        with open(file, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    try:
        s = json.loads(text)
    except ValueError:
        s = None  # json's message would quote the text, secrets included
    s = s if isinstance(s, dict) else {}
    ok = (_is_int(s.get("tokenId")) and isinstance(s.get("accessToken"), str) and isinstance(s.get("refreshToken"), str)
          and _is_number(s.get("accessTokenExpiresAt")) and isinstance(s.get("adopted"), list))
    if not ok:
        raise ValueError(f"{file} is not a consumer state file; move it away only if this consumer never renewed, "
                         "else its token may be revoked")
    return s


def save_state(file, state):
    """Replaces the state file atomically (a new file, flushed, then renamed over the old one), so a
    crash leaves either the old pair or the new one, never half of either. Readable by its owner only."""
    folder = os.path.dirname(file) or "."
    os.makedirs(folder, mode=0o700, exist_ok=True)
    clean = {k: v for k, v in state.items() if v is not None}
    clean["adopted"] = list(state.get("adopted", []))[-KEEP_ADOPTED:]
    tmp = f"{file}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(clean, indent=2).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, file)
    # The rename itself must reach the disk before the new pair is used.
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _holder(fd):
    """Who wrote the lock file last (`pid N on host H`), for the message; the lock itself is the kernel's."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "a run that has not said its pid yet"


@contextlib.contextmanager
def locked(file):
    """Holds an exclusive flock(2) on `<file>.lock` for the block. Two runs renewing the same pair at
    once would be a replay, which makes Commvault revoke the token: a run that overlaps another (a
    slow cron job) stops instead. The kernel drops the lock when its process ends, however it ends
    (killed, a container's pid 1 gone), so a lock is never left behind and pids are never guessed
    at. The Node.js consumer (../state.ts) takes the same lock, through flock(1)."""
    lock = f"{file}.lock"
    os.makedirs(os.path.dirname(lock) or ".", mode=0o700, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another run ({_holder(fd)}) holds {lock}; this one stops so that the two never renew "
                               "the same pair. The lock goes by itself when that run ends, even killed: run again "
                               "then, or stop that run; deleting the file does not help") from None
        # Only for the message above: the file's content is never trusted.
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode())
        yield
    finally:
        os.close(fd)  # drops the lock; the file stays (removing it would race a run opening it)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)
